import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import { LABELS, type Function } from '../api/types.js'
import { resolveCommit } from '../git/revision.js'
import type { Log } from '../log.js'
import type { KanikoTemplates } from '../resources/kaniko.js'
import { BuildSlots } from '../reconcilers/build-slots.js'
import { jobRunning } from '../reconcilers/build.js'
import { ClusterClient } from '../reconcilers/client.js'
import { functionKey, type ControllerContext } from '../reconcilers/context.js'
import { reconcileFunction } from '../reconcilers/function.js'
import type { ControllerConfig } from './config.js'
import type { ControllerMetrics } from './metrics.js'
import { WorkQueue } from './queue.js'
import type { Store } from './store.js'
import { allStores, createStores, type Stores } from './stores.js'

type WatchEvent = 'add' | 'update' | 'delete'

/** One watch: a change in `store` queues the Functions `keys` names. */
export interface Watch {
  store: keyof Stores
  keys(object: KubernetesObject, event: WatchEvent): string[]
}

/**
 * Watches Functions and everything they own and keeps a per-Function work queue fed: any change to a
 * Function or one of its children queues that Function, so reconciles are driven by the cluster's state.
 */
export class FunctionController {
  readonly stores: Stores
  readonly queue: WorkQueue
  private readonly context: ControllerContext
  private synced = false
  /** Per Function, the generation and labels last queued for: what a status write leaves unchanged. */
  private readonly lastSeen = new Map<string, string>()

  constructor(
    kc: KubeConfig,
    config: ControllerConfig,
    templates: KanikoTemplates,
    metrics: ControllerMetrics,
    private readonly log: Log,
  ) {
    this.stores = createStores(kc, log, config.watchNamespace)
    const slots = new BuildSlots(config.maxSimultaneousBuilds, () => this.stores.jobs.list().filter(jobRunning).length)
    this.context = {
      stores: this.stores,
      client: new ClusterClient(kc, this.stores),
      config,
      templates,
      slots,
      resolveCommit,
      log,
      reportedFailures: new Map(),
    }
    this.queue = new WorkQueue(
      (key) => reconcileFunction(this.context, key),
      { workers: config.workers, paused: true },
      {
        onDepth: (depth) => metrics.onDepth(depth),
        onResult: (key, outcome, ms, err) => {
          metrics.onResult(key, outcome, ms)
          if (err)
            log.error(outcome === 'terminal' ? 'reconcile stopped' : 'reconcile failed, will retry', {
              function: key,
              error: (err as Error).message ?? String(err),
            })
        },
      },
    )
    for (const watch of this.watches()) {
      for (const event of ['add', 'update', 'delete'] as const) {
        const store = this.stores[watch.store] as unknown as Store<KubernetesObject>
        store.on(event, (object) => watch.keys(object, event).forEach((key) => this.queue.add(key)))
      }
    }
  }

  get ready(): boolean {
    return this.synced
  }

  /** What queues a Function: the store that changed, and which Functions that concerns. */
  private watches(): Watch[] {
    const { functions } = this.stores
    const { slots, config } = this.context
    const owner = (child: KubernetesObject) => {
      const name = child.metadata?.labels?.[LABELS.functionName]
      return name ? [`${child.metadata?.namespace}/${name}`] : []
    }
    // Our own status writes come back as updates; only a change of what the Function asks for needs a pass.
    const changedFunction = (fn: Function, event: WatchEvent) => {
      const key = functionKey(fn)
      if (event === 'delete') {
        this.lastSeen.delete(key)
        return [key]
      }
      const current = `${fn.metadata.uid}|${fn.metadata.generation}|${JSON.stringify(fn.metadata.labels ?? {})}`
      if (this.lastSeen.get(key) === current) return []
      this.lastSeen.set(key, current)
      return [key]
    }
    const gitUsers = (repository: KubernetesObject) =>
      functions
        .list(repository.metadata?.namespace)
        .filter((fn) => fn.spec.type === 'git' && fn.spec.source === repository.metadata?.name)
        .map(functionKey)
    const registryUsers = (secret: KubernetesObject) => {
      const namespace = secret.metadata?.namespace
      return functions.list(namespace === config.systemNamespace ? undefined : namespace).map(functionKey)
    }
    return [
      { store: 'functions', keys: (fn, event) => changedFunction(fn as Function, event) },
      ...(['configMaps', 'jobs', 'deployments', 'services', 'autoscalers', 'pods'] as const).map((store) => ({ store, keys: owner })),
      // A build that ended or went away frees a slot for the Functions waiting for one.
      { store: 'jobs', keys: (_job, event) => (event === 'add' ? [] : slots.buildsChanged()) },
      { store: 'gitRepositories', keys: gitUsers },
      { store: 'credentialSecrets', keys: registryUsers },
      { store: 'userRegistrySecrets', keys: registryUsers },
    ]
  }

  /** Fills the caches; reconciles start once every cache holds the cluster's current state. */
  async sync(): Promise<void> {
    await Promise.all(allStores(this.stores).map((store) => store.start()))
    this.synced = true
    this.log.info('caches synced', { functions: this.stores.functions.list().length })
  }

  /** Starts reconciling; every known Function gets a pass, which is how a restarted controller converges. */
  run(): void {
    this.queue.resume()
    for (const fn of this.stores.functions.list()) this.queue.add(functionKey(fn))
  }

  async stop(): Promise<void> {
    this.queue.stop()
    await Promise.all(allStores(this.stores).map((store) => store.stop()))
  }
}
