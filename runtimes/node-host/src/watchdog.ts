import type * as WorkerThreads from 'worker_threads'

// Slots of the shared Int32Array: the socket fd of the call in progress (0 = no call, -1 = fd unknown), and a word the
// watchdog sleeps on. The start time of the call lives in a Float64Array on the same buffer.
const FD = 0
const SLEEP = 1

let Worker: typeof WorkerThreads.Worker

/**
 * A busy loop in a function blocks the event loop, so no timer on the main thread can answer it. A worker
 * thread watches the main thread's current synchronous call through shared memory; when one runs past
 * FUNC_TIMEOUT it writes a 408 straight onto that request's socket and kills the process, so the pod is
 * restarted (the 1.x runtimes also exited in this case). Marking a call costs two writes to shared memory.
 */
export class SyncWatchdog {
  private readonly slots: Int32Array
  private readonly started: Float64Array

  private constructor(timeoutMs: number, response: string) {
    const shared = new SharedArrayBuffer(16)
    this.slots = new Int32Array(shared, 0, 2)
    this.started = new Float64Array(shared, 8, 1)
    new Worker(WATCHER, { eval: true, workerData: { shared, timeoutMs, response } }).unref()
  }

  /**
   * `response` is the raw HTTP answer for a call that ran too long. Undefined where worker threads are unavailable
   * (Node 10 without --experimental-worker).
   */
  static start(timeoutMs: number, response: string): SyncWatchdog | undefined {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: Node 10 may lack the module
      Worker = (require('worker_threads') as typeof WorkerThreads).Worker
    } catch {
      return undefined
    }
    return new SyncWatchdog(timeoutMs, response)
  }

  /** `fd` is the request socket's descriptor, or -1 when it is unknown (the process is still stopped). */
  begin(fd: number): void {
    this.started[0] = Date.now()
    this.slots[FD] = fd
  }

  end(): void {
    this.slots[FD] = 0
  }

  /**
   * Runs host work met inside a call, such as loading Express on a first `req.query`, off the call's clock: under a
   * 100m CPU limit that load alone takes longer than a FUNC_TIMEOUT of 2 s, and every restart would meet it again.
   */
  uncounted(work: () => void): void {
    const fd = this.slots[FD]
    if (fd === 0) return work()
    this.slots[FD] = 0
    const paused = Date.now()
    try {
      work()
    } finally {
      // The start moves before the call is marked again, so the watcher never pairs this fd with the old start.
      this.started[0] += Date.now() - paused
      this.slots[FD] = fd
    }
  }
}

const WATCHER = `
const { workerData } = require('worker_threads')
const { writeSync } = require('fs')
const slots = new Int32Array(workerData.shared, 0, 2)
const started = new Float64Array(workerData.shared, 8, 1)
const timeoutMs = workerData.timeoutMs
const interval = Math.max(10, Math.min(250, timeoutMs / 4))
const response = workerData.response
for (;;) {
  Atomics.wait(slots, ${SLEEP}, 0, interval)
  const fd = slots[${FD}]
  if (fd !== 0 && Date.now() - started[0] > timeoutMs) {
    if (fd > 0) try { writeSync(fd, response) } catch (err) { /* the client is gone */ }
    writeSync(2, 'CRITICAL: the function ran synchronously for more than ' + timeoutMs / 1000 + ' s (FUNC_TIMEOUT); exiting so the runtime restarts\\n')
    // In a container the host is PID 1, and the kernel drops every signal sent to a namespace's init from inside
    // it, SIGKILL included. The inspector runs an expression on the main thread instead, whether its loop is still
    // busy or has just ended (Node 12.11+): the raw exit binding, since functions get a guarded process.exit.
    if (process.pid === 1) {
      try {
        const { Session } = require('inspector')
        const session = new Session()
        session.connectToMainThread()
        session.post('Runtime.evaluate', { expression: 'process.reallyExit(1)' })
        for (;;) Atomics.wait(slots, ${SLEEP}, 0)
      } catch (err) { /* Node 10 has no inspector for workers: nothing stops a busy init but the kubelet */ }
    }
    process.kill(process.pid, 'SIGKILL')
  }
}
`
