import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import { LABELS, type Function } from '../api/types.js'
import { resolveCommit } from '../git/revision.js'
import type { KanikoTemplates } from '../resources/kaniko.js'
import { BuildSlots } from '../reconcilers/build-slots.js'
import { jobRunning } from '../reconcilers/build.js'
import type { ControllerContext } from '../reconcilers/context.js'
import { reconcileFunction } from '../reconcilers/function.js'
import { Writer } from '../reconcilers/writer.js'
import type { ControllerConfig } from './config.js'
import type { ControllerMetrics } from './metrics.js'
import { WorkQueue } from './queue.js'
import { allStores, createStores, type Stores } from './stores.js'

const functionKey = (obj: KubernetesObject) => `${obj.metadata?.namespace}/${obj.metadata?.name}`

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

  constructor(kc: KubeConfig, config: ControllerConfig, templates: KanikoTemplates, metrics: ControllerMetrics, private readonly log: (message: string) => void) {
    this.stores = createStores(kc, log, config.watchNamespace)
    const slots = new BuildSlots(
      config.maxSimultaneousBuilds,
      () => this.stores.jobs.list().filter(jobRunning).length,
      (key) => this.queue.add(key),
    )
    this.context = { stores: this.stores, writer: new Writer(kc), config, templates, slots, resolveCommit, log }
    this.queue = new WorkQueue(
      (key) => reconcileFunction(this.context, key),
      { workers: config.workers, paused: true },
      {
        onDepth: (depth) => metrics.onDepth(depth),
        onResult: (key, outcome, ms, err) => {
          metrics.onResult(key, outcome, ms)
          if (err) log(`reconcile ${key} ${outcome === 'terminal' ? 'stopped' : 'failed, will retry'}: ${(err as Error).message ?? err}`)
        },
      },
    )
    this.wire()
  }

  get ready(): boolean {
    return this.synced
  }

  private wire(): void {
    const { functions, gitRepositories, configMaps, jobs, deployments, services, autoscalers, credentialSecrets, userRegistrySecrets } = this.stores
    const enqueue = (obj: KubernetesObject) => this.queue.add(functionKey(obj))
    // Our own status writes come back as updates; only a change of what the Function asks for needs a pass.
    const enqueueChanged = (fn: Function) => {
      const current = `${fn.metadata.uid}|${fn.metadata.generation}|${JSON.stringify(fn.metadata.labels ?? {})}`
      if (this.lastSeen.get(functionKey(fn)) === current) return
      this.lastSeen.set(functionKey(fn), current)
      enqueue(fn)
    }
    functions.on('add', enqueueChanged)
    functions.on('update', enqueueChanged)
    functions.on('delete', (fn) => {
      this.lastSeen.delete(functionKey(fn))
      enqueue(fn)
    })

    const enqueueOwner = (child: KubernetesObject) => {
      const owner = child.metadata?.labels?.[LABELS.functionName]
      if (owner) this.queue.add(`${child.metadata?.namespace}/${owner}`)
    }
    for (const store of [configMaps, jobs, deployments, services, autoscalers]) {
      ;(['add', 'update', 'delete'] as const).forEach((event) => store.on(event, enqueueOwner as never))
    }
    for (const event of ['update', 'delete'] as const) jobs.on(event, () => this.context.slots.buildsChanged())

    const enqueueGitUsers = (repository: KubernetesObject) => {
      for (const fn of functions.list(repository.metadata?.namespace)) {
        if (fn.spec.type === 'git' && fn.spec.source === repository.metadata?.name) enqueue(fn)
      }
    }
    const enqueueRegistryUsers = (secret: KubernetesObject) => {
      const namespace = secret.metadata?.namespace
      functions.list(namespace === this.context.config.systemNamespace ? undefined : namespace).forEach(enqueue)
    }
    for (const event of ['add', 'update', 'delete'] as const) {
      gitRepositories.on(event, enqueueGitUsers as never)
      credentialSecrets.on(event, enqueueRegistryUsers as never)
      userRegistrySecrets.on(event, enqueueRegistryUsers as never)
    }
  }

  /** Fills the caches; reconciles start once every cache holds the cluster's current state. */
  async sync(): Promise<void> {
    await Promise.all(allStores(this.stores).map((store) => store.start()))
    this.synced = true
    this.log(`caches synced: ${this.stores.functions.list().length} Functions`)
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
