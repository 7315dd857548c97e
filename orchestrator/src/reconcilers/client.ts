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
import type { ConditionChange } from './status.js'

export const FIELD_MANAGER = 'function-controller'

export function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code
}

/** Every write the controller makes to the API server, in one place. */
export class Writer {
  private readonly objects: KubernetesObjectApi
  private readonly custom: CustomObjectsApi
  private readonly core: CoreV1Api

  constructor(kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc)
    this.custom = kc.makeApiClient(CustomObjectsApi)
    this.core = kc.makeApiClient(CoreV1Api)
  }

  /**
   * Server-side apply with the controller as the fields' owner: creates or updates in one idempotent call,
   * so a controller killed half-way repeats it harmlessly.
   */
  apply<T extends KubernetesObject>(object: T): Promise<T> {
    return this.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
  }

  /** Adds or changes an object's labels without touching anything else. */
  mergeLabels<T extends KubernetesObject>(object: T, labels: Record<string, string>): Promise<T> {
    return this.objects.patch(
      { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace, labels } } as T,
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    )
  }

  /**
   * Deletes with background propagation (a Job's pods go too); an object already gone is fine.
   * Objects from a list carry no apiVersion and kind, so the caller names them.
   */
  async delete(apiVersion: string, kind: string, object: KubernetesObject): Promise<void> {
    try {
      await this.objects.delete(
        { apiVersion, kind, metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      )
    } catch (err) {
      if (!isStatus(err, 404)) throw err
    }
  }

  /** Writes the Function's status; undefined when the Function is gone meanwhile. */
  async writeStatus(fn: Function, status: FunctionStatus): Promise<Function | undefined> {
    try {
      return (await this.custom.patchNamespacedCustomObjectStatus(
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
    } catch (err) {
      if (isStatus(err, 404)) return undefined
      throw err
    }
  }

  /** A Kubernetes Event on the Function: Warning when a condition turned False, Normal otherwise. */
  async recordEvent(fn: Function, change: ConditionChange): Promise<void> {
    const now = new Date()
    const event: CoreV1Event = {
      metadata: { generateName: `${fn.metadata.name}.`, namespace: fn.metadata.namespace },
      involvedObject: {
        apiVersion: fn.apiVersion,
        kind: 'Function',
        name: fn.metadata.name,
        namespace: fn.metadata.namespace,
        uid: fn.metadata.uid,
        resourceVersion: fn.metadata.resourceVersion,
      },
      type: change.status === 'False' ? 'Warning' : 'Normal',
      reason: change.reason,
      message: change.message,
      source: { component: FIELD_MANAGER },
      reportingComponent: FIELD_MANAGER,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    }
    await this.core.createNamespacedEvent({ namespace: fn.metadata.namespace as string, body: event })
  }

  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name })
    } catch (err) {
      if (isStatus(err, 404)) return undefined
      throw err
    }
  }
}
