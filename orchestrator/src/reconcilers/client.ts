import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesObject,
  type V1Secret,
} from '@kubernetes/client-node'
import { GROUP, VERSION, type Function, type FunctionStatus } from '../api/types.js'
import type { Store } from '../controller/store.js'
import { storeOfKind, type Stores } from '../controller/stores.js'
import type { ObjectRef } from './plan.js'

export const FIELD_MANAGER = 'function-controller'

export function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code
}

/** The API server's own words for a failed call (its Status message), not the client's dump of headers and body. */
export function apiErrorText(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string }
      if (status?.message) return `${status.message} (HTTP ${err.code})`
    } catch {
      // not a Status object
    }
    return `HTTP ${err.code}`
  }
  return (err as Error)?.message ?? String(err)
}

/** A failed call, naming what was done to which object. */
function failed(action: string, kind: string | undefined, namespace: string | undefined, name: string | undefined, err: unknown): Error {
  return new Error(`${action} ${kind} ${namespace}/${name}: ${apiErrorText(err)}`)
}

/** A Kubernetes Event on a Function. */
export interface FunctionEvent {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
}

/**
 * Every call the controller makes to the API server besides its watches. Each write puts the API
 * server's answer into the matching store at once, so the next read sees it before the watch does and
 * the controller never acts twice on a stale view.
 */
export class ClusterClient {
  private readonly objects: KubernetesObjectApi
  private readonly custom: CustomObjectsApi
  private readonly core: CoreV1Api

  constructor(
    kc: KubeConfig,
    private readonly stores: Stores,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc)
    this.custom = kc.makeApiClient(CustomObjectsApi)
    this.core = kc.makeApiClient(CoreV1Api)
  }

  /**
   * Server-side apply with the controller as the fields' owner: creates or updates in one idempotent call,
   * so a controller killed half-way repeats it harmlessly.
   */
  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    const written = await this.objects
      .patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
      .catch((err) => Promise.reject(failed('applying', object.kind, object.metadata?.namespace, object.metadata?.name, err)))
    this.cacheOf(object.kind)?.remember(written)
    return written
  }

  /** Adds or changes an object's labels without touching anything else. */
  async mergeLabels(ref: ObjectRef, labels: Record<string, string>): Promise<void> {
    const written = await this.objects
      .patch(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, labels } },
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      )
      .catch((err) => Promise.reject(failed('labelling', ref.kind, ref.namespace, ref.name, err)))
    this.cacheOf(ref.kind)?.remember(written)
  }

  /** Deletes with background propagation (a Job's pods go too); an object already gone is fine. */
  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      )
    } catch (err) {
      if (!isStatus(err, 404)) throw failed('deleting', ref.kind, ref.namespace, ref.name, err)
    }
    this.cacheOf(ref.kind)?.rememberDeleted(ref.namespace, ref.name)
  }

  /** Writes the Function's status; undefined when the Function is gone meanwhile. */
  async writeStatus(fn: Function, status: FunctionStatus): Promise<Function | undefined> {
    try {
      const written = (await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: fn.metadata.namespace as string,
          plural: 'functions',
          name: fn.metadata.name as string,
          body: { status },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as Function
      this.stores.functions.remember(written)
      return written
    } catch (err) {
      if (isStatus(err, 404)) return undefined
      throw failed('writing the status of', 'Function', fn.metadata.namespace, fn.metadata.name, err)
    }
  }

  async recordEvent(fn: Function, event: FunctionEvent): Promise<void> {
    const now = new Date()
    const body: CoreV1Event = {
      metadata: { generateName: `${fn.metadata.name}.`, namespace: fn.metadata.namespace },
      involvedObject: {
        apiVersion: fn.apiVersion,
        kind: 'Function',
        name: fn.metadata.name,
        namespace: fn.metadata.namespace,
        uid: fn.metadata.uid,
        resourceVersion: fn.metadata.resourceVersion,
      },
      ...event,
      source: { component: FIELD_MANAGER },
      reportingComponent: FIELD_MANAGER,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    }
    await this.core.createNamespacedEvent({ namespace: fn.metadata.namespace as string, body })
  }

  /** A Secret the stores do not hold (a git auth Secret, a user's unlabelled registry Secret). */
  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name })
    } catch (err) {
      if (isStatus(err, 404)) return undefined
      throw failed('reading', 'Secret', namespace, name, err)
    }
  }

  private cacheOf(kind: string | undefined): Store<KubernetesObject> | undefined {
    return storeOfKind(this.stores, kind)
  }
}
