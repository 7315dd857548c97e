import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { QueueObserver } from './queue.js'

/** The controller's Prometheus metrics; also the queue's observer. */
export class ControllerMetrics implements QueueObserver {
  readonly registry = new Registry()
  private readonly reconciles = new Counter({
    name: 'kless_function_reconcile_total',
    help: 'Function reconciles by outcome (success, error, terminal).',
    labelNames: ['outcome'],
    registers: [this.registry],
  })
  private readonly errors = new Counter({
    name: 'kless_function_reconcile_errors_total',
    help: 'Function reconciles that failed and were retried with backoff, or stopped for a bad spec.',
    registers: [this.registry],
  })
  private readonly duration = new Histogram({
    name: 'kless_function_reconcile_duration_seconds',
    help: 'Time one Function reconcile took.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  })
  private readonly depth = new Gauge({
    name: 'kless_function_workqueue_depth',
    help: 'Functions waiting for a reconcile.',
    registers: [this.registry],
  })
  readonly leader = new Gauge({
    name: 'kless_function_controller_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry })
  }

  onResult(_key: string, outcome: 'success' | 'error' | 'terminal', durationMs: number): void {
    this.reconciles.inc({ outcome })
    if (outcome !== 'success') this.errors.inc()
    this.duration.observe(durationMs / 1000)
  }

  onDepth(depth: number): void {
    this.depth.set(depth)
  }
}

/** /metrics, /healthz (the process serves) and /readyz (caches synced, so reconciles see the cluster). */
export function serveProbes(metrics: ControllerMetrics, ready: () => boolean, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok')
    } else if (path === '/readyz') {
      const ok = ready()
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'caches not synced')
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      )
    } else {
      res.writeHead(404).end()
    }
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
