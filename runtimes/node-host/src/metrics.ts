import type * as PromClient from 'prom-client'

// prom-client's default buckets, the ones the 1.x runtime exposed.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The figures of one `method` label, kept as plain numbers so recording a call costs a few additions. */
export class MethodSeries {
  calls = 0
  failures = 0
  count = 0
  sum = 0
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly buckets: number[] = new Array(BUCKETS.length + 1).fill(0)

  constructor(readonly label: string) {}

  observe(seconds: number): void {
    this.count++
    this.sum += seconds
    let bucket = 0
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket++
    this.buckets[bucket]++
  }
}

type Registry = PromClient.Registry

/**
 * The three function metrics of the 1.x runtimes, labelled `method="<MOD_NAME>-<HTTP METHOD>"`.
 * Calls are recorded in plain numbers; prom-client (about 10 MB resident on Node 20) is loaded with the
 * first scrape and reads them through its `collect` hook, so it formats the exposition but costs nothing
 * per call and nothing at all for functions nobody scrapes.
 */
export class FunctionMetrics {
  private readonly series = new Map<string, MethodSeries>()
  private registry: Registry | undefined

  constructor(private readonly moduleName: string) {}

  forMethod(httpMethod: string): MethodSeries {
    let found = this.series.get(httpMethod)
    if (!found) {
      found = new MethodSeries(`${this.moduleName}-${httpMethod}`)
      this.series.set(httpMethod, found)
    }
    return found
  }

  /** Content type and text of the Prometheus exposition. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    this.registry ??= this.createRegistry()
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  private createRegistry(): Registry {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first scrape, see above
    const prom = require('prom-client') as typeof PromClient
    const registry = new prom.Registry()
    const all = () => Array.from(this.series.values())
    new prom.Counter({
      name: 'function_calls_total',
      help: 'Number of calls',
      labelNames: ['method'],
      registers: [registry],
      collect() {
        this.reset()
        for (const s of all()) if (s.calls > 0) this.inc({ method: s.label }, s.calls)
      },
    })
    new prom.Counter({
      name: 'function_failures_total',
      help: 'Number of failures',
      labelNames: ['method'],
      registers: [registry],
      collect() {
        this.reset()
        for (const s of all()) if (s.failures > 0) this.inc({ method: s.label }, s.failures)
      },
    })
    // prom-client has no way to load bucket counts into a Histogram, so this one answers get() itself, in
    // the shape the registries of prom-client 14 and 15 format. Node 10 lacks flatMap, hence the loops.
    type Collected = Awaited<ReturnType<PromClient.Histogram<string>['get']>>
    class RecordedHistogram extends prom.Histogram<string> {
      async get(): Promise<Collected> {
        const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = []
        for (const s of all()) {
          let cumulative = 0
          s.buckets.forEach((observations, index) => {
            cumulative += observations
            const le = index < BUCKETS.length ? BUCKETS[index] : '+Inf'
            values.push({ labels: { le, method: s.label }, value: cumulative, metricName: 'function_duration_seconds_bucket' })
          })
          values.push({ labels: { method: s.label }, value: s.sum, metricName: 'function_duration_seconds_sum' })
          values.push({ labels: { method: s.label }, value: s.count, metricName: 'function_duration_seconds_count' })
        }
        return { name: 'function_duration_seconds', help: 'Duration in seconds', type: 'histogram', values, aggregator: 'sum' } as unknown as Collected
      }

      // prom-client 15's registry asks this instead of get().
      getForPromString(): Promise<Collected> {
        return this.get()
      }
    }
    new RecordedHistogram({ name: 'function_duration_seconds', help: 'Duration in seconds', labelNames: ['method'], buckets: BUCKETS, registers: [registry] })
    return registry
  }
}
