import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'http'
import { Socket } from 'net'
import { BodyTimeout, BodyTooLarge, hasBody, readBody } from './body'
import { EventAttributes, MalformedCloudEvent, parseBatch, parseStructured } from './cloudevent'
import { HostConfig } from './config'
import { attributesFromHeaders, FunctionEvent } from './event'
import { expressObjects } from './express-objects'
import { FunctionHandler, LoadedFunction } from './loader'
import { FunctionMetrics } from './metrics'
import { responseEnded, sendError, sendResult } from './respond'
import { OtlpExporter, Span } from './tracing'
import { SyncWatchdog } from './watchdog'

const HEADERS_TIMEOUT_MS = 10_000
const IDLE_SOCKET_TIMEOUT_MS = 30_000
const BODY_TIMEOUT_MS = 30_000
// Node 18+ enforces headersTimeout from a periodic sweep (30 s apart by default); older Node on each read.
const CONNECTIONS_CHECK_MS = 2_000
const TIMEOUT_BODY = '{"code":"ERR_SCRIPT_EXECUTION_TIMEOUT"}'

export interface HostParts {
  config: HostConfig
  loaded: LoadedFunction
  metrics: FunctionMetrics
  watchdog: SyncWatchdog | undefined
  exporter: OtlpExporter | undefined
}

/** One request to the function, from the first byte to the last metric. */
interface Invocation {
  req: IncomingMessage
  res: ServerResponse
  method: string
  started: [number, number]
  span: Span | undefined
  /** Set once the outcome is recorded; later settlements of the function's promise are ignored. */
  done: boolean
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack || err.message
  return `a non-error value was thrown or rejected: ${String(err)}`
}

function pathOf(url: string): string {
  const mark = url.indexOf('?')
  return mark < 0 ? url : url.slice(0, mark)
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

/** The HTTP server of the Node host: node:http with Express's request/response objects, no router. */
export function createHost(parts: HostParts): { server: Server; shutdown(graceMs: number): Promise<void> } {
  const { config, loaded, metrics, watchdog, exporter } = parts
  const timeoutMs = config.timeoutSeconds * 1000
  const { Request, Response, load: loadExpress } = expressObjects()
  const eventEnvironment = { publisherProxyAddress: config.publisherProxyAddress }

  function record(call: Invocation, failed: boolean): void {
    call.done = true
    const series = metrics.forMethod(call.method)
    if (failed) series.failures++
    const [seconds, nanos] = process.hrtime(call.started)
    series.observe(seconds + nanos / 1e9)
    if (call.span && exporter) exporter.add(call.span.end(call.res.statusCode))
  }

  function fail(call: Invocation, err: unknown): void {
    if (call.done) return
    console.error(`Function failed to execute: ${describe(err)}`)
    sendError(call.res, 500, 'Internal Server Error', 'text/html; charset=utf-8')
    record(call, true)
  }

  function succeed(call: Invocation, value: unknown): void {
    if (call.done) return
    if (!responseEnded(call.res)) {
      try {
        sendResult(call.res, value, loadExpress)
      } catch (err) {
        fail(call, err)
        return
      }
    }
    record(call, false)
  }

  function callOnce(call: Invocation, handler: FunctionHandler, attributes: EventAttributes): unknown {
    metrics.forMethod(call.method).calls++
    const event = new FunctionEvent(attributes, call.req, call.res, eventEnvironment, call.span)
    const context = { 'function-name': config.handlerName, timeout: config.timeoutSeconds, runtime: config.runtime, 'memory-limit': config.memoryLimit }
    if (!watchdog) return handler(event, context)
    watchdog.begin(socketFd(call.req.socket))
    try {
      return handler(event, context)
    } finally {
      watchdog.end()
    }
  }

  function awaitResult(call: Invocation, pending: PromiseLike<unknown>): void {
    const timer = setTimeout(() => {
      if (call.done) return
      console.error(`Function timed out: no result after FUNC_TIMEOUT=${config.timeoutSeconds} s`)
      sendError(call.res, 408, TIMEOUT_BODY, 'application/json; charset=utf-8')
      record(call, true)
    }, timeoutMs)
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

  function run(call: Invocation, events: EventAttributes[], batch: boolean): void {
    if (!loaded.handler) {
      metrics.forMethod(call.method).calls++
      fail(call, loaded.error)
      return
    }
    const handler = loaded.handler
    if (batch) {
      const results: unknown[] = []
      const next = (index: number): unknown =>
        index === events.length ? results : Promise.resolve(callOnce(call, handler, events[index])).then((value) => (results.push(value), next(index + 1)))
      awaitResult(call, Promise.resolve().then(() => next(0)))
      return
    }
    let result: unknown
    try {
      result = callOnce(call, handler, events[0])
    } catch (err) {
      fail(call, err)
      return
    }
    if (isThenable(result)) awaitResult(call, result)
    else succeed(call, result)
  }

  function withBody(call: Invocation, body: Buffer): void {
    ;(call.req as IncomingMessage & { body: unknown }).body = body
    const mime = mimeOf(call.req)
    if (body.length === 0) return run(call, [attributesFromHeaders(call.req, body)], false)
    let events: EventAttributes[]
    try {
      if (mime === 'application/cloudevents+json') events = [parseStructured(body)]
      else if (mime === 'application/cloudevents-batch+json') return run(call, parseBatch(body), true)
      else if (mime === 'application/json') events = [attributesFromHeaders(call.req, JSON.parse(body.toString('utf8')))]
      else events = [attributesFromHeaders(call.req, body.toString('utf8'))]
    } catch (err) {
      if (err instanceof MalformedCloudEvent) {
        sendError(call.res, 400, `Bad Request: ${err.message}`)
        call.done = true
        return
      }
      // Invalid JSON is a failed call, as in 1.x.
      metrics.forMethod(call.method).calls++
      return fail(call, err)
    }
    run(call, events, false)
  }

  function bodyFailed(call: Invocation, err: unknown): void {
    call.done = true
    call.res.setHeader('Connection', 'close')
    if (err instanceof BodyTooLarge) {
      sendError(call.res, 413, `Payload Too Large: the body exceeds REQ_MB_LIMIT (${config.bodyLimitBytes} bytes)`)
    } else if (err instanceof BodyTimeout) {
      sendError(call.res, 408, `Request Timeout: the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s`)
    } else {
      call.res.destroy()
    }
  }

  function invoke(req: IncomingMessage, res: ServerResponse, method: string): void {
    res.setHeader('Access-Control-Allow-Origin', '*')
    ;(req as IncomingMessage & { res: ServerResponse }).res = res
    ;(res as ServerResponse & { req: IncomingMessage }).req = req
    const call: Invocation = {
      req,
      res,
      method,
      started: process.hrtime(),
      span: exporter ? new Span(`${method} ${pathOf(req.url || '/')}`, req.headers) : undefined,
      done: false,
    }
    if (call.span) {
      call.span.attribute('http.method', method)
      call.span.attribute('http.target', req.url || '/')
      call.span.attribute('faas.name', config.handlerName)
    }
    if (!hasBody(req) || mimeOf(req).startsWith('multipart/')) {
      // 1.x never read multipart bodies; Node discards the unread bytes after the response.
      ;(req as IncomingMessage & { body: unknown }).body = {}
      return run(call, [attributesFromHeaders(req, {})], false)
    }
    readBody(req, config.bodyLimitBytes, BODY_TIMEOUT_MS).then(
      (body) => withBody(call, body),
      (err) => bodyFailed(call, err),
    )
  }

  function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.setHeader('Access-Control-Allow-Methods', req.headers['access-control-request-method'] || 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS')
    const requested = req.headers['access-control-request-headers']
    if (requested) res.setHeader('Access-Control-Allow-Headers', requested)
    res.setHeader('Content-Length', '0')
    res.end()
  }

  function answerMetrics(res: ServerResponse): void {
    metrics.exposition().then(
      ({ contentType, text }) => {
        res.setHeader('Content-Type', contentType)
        res.end(text)
      },
      (err) => {
        console.error(`Metrics failed: ${describe(err)}`)
        sendError(res, 500, 'Internal Server Error')
      },
    )
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method as string
    if (method === 'GET' || method === 'HEAD') {
      const path = pathOf(req.url as string)
      if (path === '/healthz') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8')
        res.end('OK')
        return
      }
      if (path === '/metrics') return answerMetrics(res)
    }
    if (method === 'OPTIONS') return answerPreflight(req, res)
    invoke(req, res, method)
  }

  const server = createServer({ IncomingMessage: Request, ServerResponse: Response, connectionsCheckingInterval: CONNECTIONS_CHECK_MS }, onRequest)
  if (config.accessLog) server.on('request', logAccess)
  server.headersTimeout = HEADERS_TIMEOUT_MS
  // A socket idle while no request is in flight is closed; one whose request is running is left alone,
  // FUNC_TIMEOUT bounds it.
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS, (socket: Socket) => {
    if (!(socket as unknown as { _httpMessage?: unknown })._httpMessage) socket.destroy()
  })
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy()
      return
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : /TIMEOUT/i.test(String(err.code)) ? 408 : 400
    const body = `${STATUS_CODES[status]}\n`
    const response = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`
    // Closed in both directions once written: a client still trickling bytes must not keep it half-open.
    socket.end(response, () => socket.destroy())
  })

  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  function shutdown(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        console.error(`Requests still running after ${graceMs / 1000} s; stopping anyway`)
        resolve()
      }, graceMs)
      deadline.unref()
      server.close(() => {
        clearTimeout(deadline)
        resolve()
      })
      for (const socket of sockets) {
        const inFlight = (socket as unknown as { _httpMessage?: ServerResponse })._httpMessage
        if (!inFlight) socket.destroy()
        else if (!inFlight.headersSent) inFlight.shouldKeepAlive = false
        else inFlight.once('finish', () => socket.end())
      }
    })
  }

  return { server, shutdown }
}

function logAccess(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    const length = res.getHeader('Content-Length')
    const agent = req.headers['user-agent'] || '-'
    const referer = req.headers.referer || '-'
    const when = new Date().toUTCString()
    console.log(`${req.socket.remoteAddress || '-'} - - [${when}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${length === undefined ? '-' : length} "${referer}" "${agent}"`)
  })
}
