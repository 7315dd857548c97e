import type * as Crypto from 'crypto'
import { IncomingHttpHeaders } from 'http'
import { post } from './http-client'

/** Trace headers a function sees and publishCloudEvent forwards: W3C trace context, B3 and Envoy's request id. */
export const TRACE_HEADERS = [
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-request-id',
] as const

export function traceHeadersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const found: Record<string, string> = {}
  for (const name of TRACE_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string') found[name] = value
  }
  return found
}

// Spans exist only with an OTLP endpoint configured; functions without one never load crypto for them.
function randomHex(bytes: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  return (require('crypto') as typeof Crypto).randomBytes(bytes).toString('hex')
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** One server span per invocation; only created when an OTLP endpoint is configured. */
export class Span {
  readonly traceId: string
  readonly spanId = randomHex(8)
  readonly parentSpanId: string | undefined
  private readonly sampledFlags: string
  private readonly startNanos = BigInt(Date.now()) * BigInt(1e6)
  private readonly startHr = process.hrtime()
  private readonly attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string } }> = []

  constructor(
    readonly name: string,
    incoming: IncomingHttpHeaders,
  ) {
    const parent = TRACEPARENT.exec(String(incoming.traceparent || ''))
    const b3TraceId = incoming['x-b3-traceid']
    if (parent && parent[1] !== 'ff' && !/^0+$/.test(parent[2])) {
      this.traceId = parent[2]
      this.parentSpanId = parent[3]
      this.sampledFlags = parent[4]
    } else if (typeof b3TraceId === 'string' && /^[0-9a-f]{16}([0-9a-f]{16})?$/.test(b3TraceId)) {
      this.traceId = b3TraceId.padStart(32, '0')
      this.parentSpanId = typeof incoming['x-b3-spanid'] === 'string' ? incoming['x-b3-spanid'] : undefined
      this.sampledFlags = incoming['x-b3-sampled'] === '0' ? '00' : '01'
    } else {
      this.traceId = randomHex(16)
      this.parentSpanId = undefined
      this.sampledFlags = '01'
    }
  }

  /** The traceparent a downstream call should carry: this span as the parent. */
  get traceparent(): string {
    return `00-${this.traceId}-${this.spanId}-${this.sampledFlags}`
  }

  attribute(key: string, value: string | number): void {
    this.attributes.push({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } })
  }

  /** The span in OTLP/JSON form, ended now. */
  end(statusCode: number): object {
    const [seconds, nanos] = process.hrtime(this.startHr)
    this.attribute('http.status_code', statusCode)
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: 2, // SPAN_KIND_SERVER
      startTimeUnixNano: this.startNanos.toString(),
      endTimeUnixNano: (this.startNanos + BigInt(seconds) * BigInt(1e9) + BigInt(nanos)).toString(),
      attributes: this.attributes,
      status: { code: statusCode >= 500 ? 2 : 0 },
    }
  }
}

const FLUSH_INTERVAL_MS = 1000
const MAX_BATCH = 512

/**
 * A minimal OTLP/HTTP JSON trace exporter (POST <endpoint>/v1/traces). It is ours rather than the
 * OpenTelemetry SDK's because the SDK does not run on Node 10 and 12; it batches spans and sends them once
 * a second or every 512 spans. Export failures are logged once per batch and the spans dropped.
 */
export class OtlpExporter {
  private pending: object[] = []
  private readonly timer: NodeJS.Timeout
  private readonly url: string

  constructor(
    endpoint: string,
    private readonly serviceName: string,
  ) {
    this.url = `${endpoint.replace(/\/+$/, '')}/v1/traces`
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS)
    this.timer.unref()
  }

  add(span: object): void {
    this.pending.push(span)
    if (this.pending.length >= MAX_BATCH) void this.flush()
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return
    const spans = this.pending
    this.pending = []
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: this.serviceName } }] },
          scopeSpans: [{ scope: { name: 'kless-node-host' }, spans }],
        },
      ],
    })
    try {
      const response = await post(this.url, body, { 'Content-Type': 'application/json' })
      if (response.status >= 300) console.error(`OTLP export to ${this.url} failed: HTTP ${response.status}`)
    } catch (err) {
      console.error(`OTLP export to ${this.url} failed: ${(err as Error).message}`)
    }
  }

  close(): Promise<void> {
    clearInterval(this.timer)
    return this.flush()
  }
}
