import { IncomingMessage, ServerResponse } from 'http'
import { Socket } from 'net'
import { BodyTimeout, BodyTooLarge, hasBody, readBody } from './body'
import { EventAttributes, MalformedCloudEvent, parseBatch, parseStructured } from './cloudevent'
import { HostConfig } from './config'
import { attributesFromHeaders, EventEnvironment, FunctionEvent } from './event'
import { CATALOGUE, errorText, HostFailure, sendFailure } from './failures'
import { FunctionHandler, LoadedFunction } from './loader'
import { FunctionMetrics } from './metrics'
import { pathOf } from './platform'
import { responseEnded, sendResult } from './respond'
import { OtlpExporter, Span } from './tracing'
import { SyncWatchdog } from './watchdog'

export const BODY_TIMEOUT_MS = 30_000

/** What every call needs from the host, fixed at start-up. */
export interface Invoker {
  config: HostConfig
  loaded: LoadedFunction
  metrics: FunctionMetrics
  watchdog: SyncWatchdog | undefined
  exporter: OtlpExporter | undefined
  environment: EventEnvironment
  loadExpress(): void
}

type Request = IncomingMessage & { body?: unknown; res?: ServerResponse }

/** One request to the function, from the first byte to the last metric. */
class Invocation {
  readonly started = process.hrtime()
  /** Set once the outcome is recorded; later settlements of the function's promise are ignored. */
  done = false

  constructor(
    readonly invoker: Invoker,
    readonly req: Request,
    readonly res: ServerResponse,
    readonly method: string,
    readonly span: Span | undefined,
  ) {}
}

function mimeOf(req: IncomingMessage): string {
  const header = req.headers['content-type']
  if (!header) return ''
  const semicolon = header.indexOf(';')
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase()
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle
  return handle && typeof handle.fd === 'number' && handle.fd > 0 ? handle.fd : -1
}

function record(call: Invocation, failed: boolean): void {
  call.done = true
  const { metrics, exporter } = call.invoker
  const series = metrics.forMethod(call.method)
  if (failed) series.failures++
  const [seconds, nanos] = process.hrtime(call.started)
  series.observe(seconds + nanos / 1e9)
  if (call.span && exporter) exporter.add(call.span.end(call.res.statusCode))
}

function countCall(call: Invocation): void {
  call.invoker.metrics.forMethod(call.method).calls++
}

/** The function failed: it threw, rejected, or returned what cannot be sent. */
function fail(call: Invocation, err: unknown): void {
  if (call.done) return
  console.error(`Function failed to execute: ${errorText(err)}`)
  sendFailure(call.res, CATALOGUE.functionFailed)
  record(call, true)
}

function succeed(call: Invocation, value: unknown): void {
  if (call.done) return
  if (!responseEnded(call.res)) {
    try {
      sendResult(call.res, value, call.invoker.loadExpress)
    } catch (err) {
      fail(call, err)
      return
    }
  }
  record(call, false)
}

/** The request never reached the function: answered from the catalogue, not counted. */
function refuse(call: Invocation, failure: HostFailure, detail?: string): void {
  call.done = true
  sendFailure(call.res, failure, detail)
}

function callFunction(call: Invocation, handler: FunctionHandler, attributes: EventAttributes): unknown {
  const { config, watchdog, environment } = call.invoker
  countCall(call)
  const event = new FunctionEvent(attributes, call.req, call.res, environment, call.span)
  const context = { 'function-name': config.handlerName, timeout: config.timeoutSeconds, runtime: config.runtime, 'memory-limit': config.memoryLimit }
  if (!watchdog) return handler(event, context)
  watchdog.begin(socketFd(call.req.socket))
  try {
    return handler(event, context)
  } finally {
    watchdog.end()
  }
}

/** A pending result, bounded by FUNC_TIMEOUT. */
function awaitResult(call: Invocation, pending: PromiseLike<unknown>): void {
  const { timeoutSeconds } = call.invoker.config
  const timer = setTimeout(() => {
    if (call.done) return
    console.error(`Function timed out: no result after FUNC_TIMEOUT=${timeoutSeconds} s`)
    sendFailure(call.res, CATALOGUE.functionTimedOut)
    record(call, true)
  }, timeoutSeconds * 1000)
  pending.then(
    (value) => {
      clearTimeout(timer)
      succeed(call, value)
    },
    (err) => {
      clearTimeout(timer)
      fail(call, err)
    },
  )
}

function runOnce(call: Invocation, handler: FunctionHandler, attributes: EventAttributes): void {
  let result: unknown
  try {
    result = callFunction(call, handler, attributes)
  } catch (err) {
    fail(call, err)
    return
  }
  if (isThenable(result)) awaitResult(call, result)
  else succeed(call, result)
}

/** A CloudEvents batch: the function once per event, in order, all within one FUNC_TIMEOUT. */
function runEach(call: Invocation, handler: FunctionHandler, events: EventAttributes[]): void {
  const results: unknown[] = []
  const next = (index: number): unknown =>
    index === events.length ? results : Promise.resolve(callFunction(call, handler, events[index])).then((value) => (results.push(value), next(index + 1)))
  awaitResult(
    call,
    Promise.resolve().then(() => next(0)),
  )
}

/** Decodes the body by content type into the events the function is called with. */
function runWithBody(call: Invocation, handler: FunctionHandler, body: Buffer): void {
  call.req.body = body
  if (body.length === 0) return runOnce(call, handler, attributesFromHeaders(call.req, body))
  const mime = mimeOf(call.req)
  let attributes: EventAttributes
  try {
    if (mime === 'application/cloudevents+json') attributes = parseStructured(body)
    else if (mime === 'application/cloudevents-batch+json') return runEach(call, handler, parseBatch(body))
    else if (mime === 'application/json') attributes = attributesFromHeaders(call.req, JSON.parse(body.toString('utf8')))
    else attributes = attributesFromHeaders(call.req, body.toString('utf8'))
  } catch (err) {
    if (err instanceof MalformedCloudEvent) return refuse(call, CATALOGUE.malformedCloudEvent, err.message)
    // Node 10's JSON.parse recurses and overflows the stack on deeply nested input, which is valid JSON.
    if (err instanceof RangeError) return refuse(call, CATALOGUE.jsonTooDeep)
    // Invalid JSON is a failed call, as in 1.x.
    countCall(call)
    return fail(call, err)
  }
  runOnce(call, handler, attributes)
}

function bodyFailed(call: Invocation, err: unknown): void {
  const { bodyLimitBytes } = call.invoker.config
  if (err instanceof BodyTooLarge) refuse(call, CATALOGUE.bodyTooLarge, `the body exceeds REQ_MB_LIMIT (${bodyLimitBytes} bytes)`)
  else if (err instanceof BodyTimeout) refuse(call, CATALOGUE.bodyTimedOut, `the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s`)
  else {
    // The client went away mid-body: nobody is left to answer.
    call.done = true
    call.res.destroy()
  }
}

function startSpan(invoker: Invoker, req: IncomingMessage, method: string): Span | undefined {
  if (!invoker.exporter) return undefined
  const target = req.url || '/'
  const span = new Span(`${method} ${pathOf(target)}`, req.headers)
  span.attribute('http.method', method)
  span.attribute('http.target', target)
  span.attribute('faas.name', invoker.config.handlerName)
  return span
}

/** Calls the function for one request, with the body read and decoded, and answers with its result. */
export function invoke(invoker: Invoker, req: Request, res: ServerResponse, method: string): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  // Express's objects know each other, as its init middleware links them.
  req.res = res
  ;(res as ServerResponse & { req: IncomingMessage }).req = req
  const call = new Invocation(invoker, req, res, method, startSpan(invoker, req, method))
  const { handler } = invoker.loaded
  if (!handler) {
    countCall(call)
    return fail(call, invoker.loaded.error)
  }
  if (!hasBody(req) || mimeOf(req).startsWith('multipart/')) {
    // 1.x never read multipart bodies; Node discards the unread bytes after the response.
    req.body = {}
    return runOnce(call, handler, attributesFromHeaders(req, {}))
  }
  readBody(req, invoker.config.bodyLimitBytes, BODY_TIMEOUT_MS, (err, body) => (err ? bodyFailed(call, err) : runWithBody(call, handler, body)))
}
