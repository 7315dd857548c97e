/** What one reconcile asks of the queue when it succeeds. */
export interface ReconcileResult {
  /** Look at the key again after this long even if nothing changes (level-triggered polling for outside state). */
  requeueAfterMs?: number
}

/** A bad spec: retrying cannot help, so the key is not requeued until the object changes. */
export class TerminalError extends Error {
  override name = 'TerminalError'
}

export type Reconcile = (key: string) => Promise<ReconcileResult>

export interface QueueObserver {
  onResult(key: string, outcome: 'success' | 'error' | 'terminal', durationMs: number, error?: unknown): void
  onDepth(depth: number): void
}

export interface WorkQueueOptions {
  workers: number
  /** Start without handing keys to workers (they still queue up) until resume(), e.g. until elected. */
  paused?: boolean
  baseBackoffMs?: number
  maxBackoffMs?: number
}

/**
 * A per-key serial work queue, like client-go's: a key is queued at most once, a key being reconciled
 * is never handed to a second worker (an add during the reconcile runs it again afterwards), and
 * different keys run in parallel on `workers` workers. Failures back off exponentially per key.
 */
export class WorkQueue {
  private readonly queue: string[] = []
  private readonly dirty = new Set<string>()
  private readonly processing = new Set<string>()
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>()
  private readonly failures = new Map<string, number>()
  private readonly idle: Array<() => void> = []
  private running = 0
  private stopped = false
  private paused: boolean
  private readonly baseBackoffMs: number
  private readonly maxBackoffMs: number

  constructor(
    private readonly reconcile: Reconcile,
    private readonly options: WorkQueueOptions,
    private readonly observer?: QueueObserver,
  ) {
    this.baseBackoffMs = options.baseBackoffMs ?? 500
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000
    this.paused = options.paused ?? false
  }

  resume(): void {
    this.paused = false
    this.pump()
  }

  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return
    this.dirty.add(key)
    if (this.processing.has(key)) return
    this.queue.push(key)
    this.observer?.onDepth(this.queue.length)
    this.pump()
  }

  /** Adds the key after `ms`, unless an earlier add for it is already scheduled. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return
    const at = Date.now() + ms
    const pending = this.timers.get(key)
    if (pending && pending.at <= at) return
    if (pending) clearTimeout(pending.timer)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      this.add(key)
    }, ms)
    timer.unref()
    this.timers.set(key, { at, timer })
  }

  get depth(): number {
    return this.queue.length
  }

  /** Resolves once nothing is queued or running (for tests and orderly shutdown). */
  drained(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  stop(): void {
    this.stopped = true
    this.queue.length = 0
    this.dirty.clear()
    for (const { timer } of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }

  private pump(): void {
    while (!this.paused && this.running < this.options.workers && this.queue.length > 0) {
      const key = this.queue.shift() as string
      this.observer?.onDepth(this.queue.length)
      this.dirty.delete(key)
      this.processing.add(key)
      this.running++
      void this.work(key)
    }
  }

  private async work(key: string): Promise<void> {
    const started = Date.now()
    try {
      const result = await this.reconcile(key)
      this.failures.delete(key)
      this.observer?.onResult(key, 'success', Date.now() - started)
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs)
    } catch (err) {
      if (err instanceof TerminalError) {
        this.failures.delete(key)
        this.observer?.onResult(key, 'terminal', Date.now() - started, err)
      } else {
        const failures = (this.failures.get(key) ?? 0) + 1
        this.failures.set(key, failures)
        this.observer?.onResult(key, 'error', Date.now() - started, err)
        this.addAfter(key, Math.min(this.baseBackoffMs * 2 ** (failures - 1), this.maxBackoffMs))
      }
    } finally {
      this.processing.delete(key)
      this.running--
      if (this.dirty.has(key) && !this.stopped) {
        this.queue.push(key)
        this.observer?.onDepth(this.queue.length)
      }
      this.pump()
      if (this.running === 0 && this.queue.length === 0) this.idle.splice(0).forEach((resolve) => resolve())
    }
  }
}
