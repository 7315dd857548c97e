import { IncomingMessage, ServerResponse } from 'http'
import { EventAttributes } from './cloudevent'
import { post, PostResponse } from './http-client'
import { Span, traceHeadersOf } from './tracing'

/** What a function's `event` needs from the host beyond the request itself. */
export interface EventEnvironment {
  publisherProxyAddress: string | undefined
}

type Header = string | string[] | undefined

// Symbol keys stay out of Object.keys and JSON.stringify, keeping the event's visible shape that of 1.x.
const environmentKey = Symbol('environment')
const spanKey = Symbol('span')

/**
 * The `event` argument. Its own enumerable keys are exactly those of the 1.x runtime, in the same order,
 * so `JSON.stringify(event)`-style code sees what it always saw; the late-1.x helpers and `tracing` live on
 * the prototype (call them as `event.setResponseStatus(…)`).
 */
export class FunctionEvent {
  'ce-type': unknown
  'ce-source': unknown
  'ce-eventtypeversion': unknown
  'ce-specversion': unknown
  'ce-id': unknown
  'ce-time': unknown
  data: unknown
  extensions: { request: IncomingMessage; response: ServerResponse }
  private readonly [environmentKey]: EventEnvironment
  private readonly [spanKey]: Span | undefined

  constructor(attributes: EventAttributes, request: IncomingMessage, response: ServerResponse, environment: EventEnvironment, span: Span | undefined) {
    this['ce-type'] = attributes.type
    this['ce-source'] = attributes.source
    this['ce-eventtypeversion'] = attributes.eventtypeversion
    this['ce-specversion'] = attributes.specversion
    this['ce-id'] = attributes.id
    this['ce-time'] = attributes.time
    this.data = attributes.data
    this.extensions = { request, response }
    this[environmentKey] = environment
    this[spanKey] = span
  }

  /** Trace headers of the incoming request; with OpenTelemetry on, `traceparent` names this invocation's span. */
  get tracing(): Record<string, string> {
    const headers = traceHeadersOf(this.extensions.request.headers)
    const span = this[spanKey]
    if (span) headers.traceparent = span.traceparent
    return headers
  }

  setResponseHeader(name: string, value: string | number | string[]): void {
    this.extensions.response.setHeader(name, value)
  }

  setResponseContentType(type: string): void {
    this.extensions.response.setHeader('Content-Type', type)
  }

  setResponseStatus(status: number): void {
    this.extensions.response.statusCode = status
  }

  /**
   * POSTs a structured-mode CloudEvent to PUBLISHER_PROXY_ADDRESS, forwarding the trace headers.
   * Resolves with `{ status, headers, data }`; rejects when the publisher answers with an error status.
   */
  async publishCloudEvent(cloudEvent: object): Promise<PostResponse> {
    const target = this[environmentKey].publisherProxyAddress
    if (!target) throw new Error('publishCloudEvent needs PUBLISHER_PROXY_ADDRESS to be set')
    const response = await post(target, JSON.stringify(cloudEvent), { ...this.tracing, 'Content-Type': 'application/cloudevents+json' })
    if (response.status >= 400) throw new Error(`publishing the CloudEvent failed: ${target} answered ${response.status} ${response.data}`)
    return response
  }

  /** A response event in the 1.24 shape: source, eventtypeversion and specversion come from the incoming event. */
  buildResponseCloudEvent(id: string, type: string, data: unknown): Record<string, unknown> {
    return {
      type,
      source: this['ce-source'],
      eventtypeversion: this['ce-eventtypeversion'],
      specversion: this['ce-specversion'],
      id,
      data,
    }
  }
}

function single(value: Header): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** Binary content mode, as in 1.x: attributes only from the same-named headers, `undefined` when absent. */
export function attributesFromHeaders(request: IncomingMessage, data: unknown): EventAttributes {
  const headers = request.headers
  return {
    type: single(headers['ce-type']),
    source: single(headers['ce-source']),
    eventtypeversion: single(headers['ce-eventtypeversion']),
    specversion: single(headers['ce-specversion']),
    id: single(headers['ce-id']),
    time: single(headers['ce-time']),
    data,
  }
}
