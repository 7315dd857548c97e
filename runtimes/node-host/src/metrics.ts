import { Counter, Histogram, Registry } from 'prom-client'

interface MethodSeries {
  calls: { inc(): void }
  failures: { inc(): void }
  duration: { observe(seconds: number): void }
}

/**
 * The three function metrics of the 1.x runtimes, labelled `method="<MOD_NAME>-<HTTP METHOD>"`. Series are
 * resolved once per label and kept, so recording a call is three plain method calls.
 */
export class FunctionMetrics {
  private readonly registry = new Registry()
  private readonly calls = new Counter({ name: 'function_calls_total', help: 'Number of calls', labelNames: ['method'], registers: [this.registry] })
  private readonly failures = new Counter({ name: 'function_failures_total', help: 'Number of failures', labelNames: ['method'], registers: [this.registry] })
  private readonly duration = new Histogram({ name: 'function_duration_seconds', help: 'Duration in seconds', labelNames: ['method'], registers: [this.registry] })
  private readonly series = new Map<string, MethodSeries>()

  constructor(private readonly moduleName: string) {}

  /** The series of one HTTP method; methods are a small set, so the map stays small. */
  forMethod(httpMethod: string): MethodSeries {
    let found = this.series.get(httpMethod)
    if (!found) {
      const label = `${this.moduleName}-${httpMethod}`
      found = { calls: this.calls.labels(label), failures: this.failures.labels(label), duration: this.duration.labels(label) }
      this.series.set(httpMethod, found)
    }
    return found
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** prom-client 14 and 15 both return a Promise here. */
  exposition(): Promise<string> {
    return Promise.resolve(this.registry.metrics())
  }
}
