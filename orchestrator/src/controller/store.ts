import type { Log } from '../log.js'
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node'

type Key = string
const keyOf = (namespace: string | undefined, name: string | undefined): Key => `${namespace ?? ''}/${name ?? ''}`

function newer(a: KubernetesObject, b: KubernetesObject): boolean {
  try {
    return BigInt(a.metadata?.resourceVersion ?? '0') > BigInt(b.metadata?.resourceVersion ?? '0')
  } catch {
    return false
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * Drops what the controller never reads but the cache would hold for every object: managedFields and
 * kubectl's copy of the whole object. They are most of a cached object's size (the Function's source twice).
 */
function slim(obj: KubernetesObject): void {
  const metadata = obj.metadata
  if (!metadata) return
  delete metadata.managedFields
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) delete metadata.annotations[LAST_APPLIED]
}

/**
 * A watch-fed cache of one kind (an informer) plus the controller's own recent writes.
 * The informer lags behind our writes by a watch event; reading our own writes avoids acting twice on
 * a stale view (creating an object again, or reporting "updated" for an update already made).
 */
export class Store<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>
  private readonly written = new Map<Key, T | 'deleted'>()
  private restartTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    readonly kind: string,
    kc: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    labelSelector?: string,
    private readonly log?: Log,
  ) {
    this.informer = makeInformer(kc, path, list, labelSelector)
    // Registered first, so every cached object is slimmed before anything else sees it.
    this.informer.on('add', slim)
    this.informer.on('update', slim)
    // Keep the written overlay only until the watch has caught up with it.
    const settle = (obj: T) => {
      const key = keyOf(obj.metadata?.namespace, obj.metadata?.name)
      const mine = this.written.get(key)
      if (mine && mine !== 'deleted' && !newer(mine, obj)) this.written.delete(key)
    }
    this.informer.on('add', settle)
    this.informer.on('update', settle)
    this.informer.on('delete', (obj) => this.written.delete(keyOf(obj.metadata?.namespace, obj.metadata?.name)))
    // A broken watch (API server restart, network) is restarted with the last resource version;
    // the informer relists by itself when that version has expired.
    this.informer.on('error', (err) => {
      if (this.stopped) return
      this.log?.warn('watch failed; restarting in 1s', { kind, error: (err as Error)?.message ?? String(err) })
      clearTimeout(this.restartTimer)
      this.restartTimer = setTimeout(() => void this.informer.start().catch(() => {}), 1000)
    })
  }

  on(event: 'add' | 'update' | 'delete', handler: (obj: T) => void): void {
    this.informer.on(event, handler)
  }

  /** Lists and starts watching; resolves once the first list is in the cache. */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.informer.start()
        return
      } catch (err) {
        this.log?.warn('listing failed; retrying', { kind: this.kind, error: (err as Error).message })
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.restartTimer)
    await this.informer.stop()
  }

  get(namespace: string, name: string): T | undefined {
    const cached = this.informer.get(name, namespace)
    const mine = this.written.get(keyOf(namespace, name))
    if (mine === 'deleted') return undefined
    if (mine && (!cached || newer(mine, cached))) return mine
    if (mine) this.written.delete(keyOf(namespace, name))
    return cached
  }

  list(namespace?: string): T[] {
    const byKey = new Map<Key, T>()
    for (const obj of this.informer.list(namespace)) byKey.set(keyOf(obj.metadata?.namespace, obj.metadata?.name), obj)
    for (const [key, mine] of this.written) {
      if (namespace !== undefined && !key.startsWith(`${namespace}/`)) continue
      if (mine === 'deleted') byKey.delete(key)
      else if (!byKey.has(key) || newer(mine, byKey.get(key) as T)) byKey.set(key, mine)
    }
    return [...byKey.values()]
  }

  /** Records an object the API server just returned from our own write. */
  remember(obj: T): void {
    this.written.set(keyOf(obj.metadata?.namespace, obj.metadata?.name), obj)
  }

  rememberDeleted(namespace: string, name: string): void {
    this.written.set(keyOf(namespace, name), 'deleted')
  }
}
