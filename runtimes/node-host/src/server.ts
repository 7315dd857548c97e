import { createServer, IncomingMessage, Server, ServerResponse } from 'http'
import { Socket } from 'net'
import { CATALOGUE, HostFailure, sendRawFailure } from './failures'
import { Invoker, invoke } from './invoke'
import { answerPlatform } from './platform'

const HEADERS_TIMEOUT_MS = 10_000
const IDLE_SOCKET_TIMEOUT_MS = 30_000
// Node 18+ enforces headersTimeout from a periodic sweep (30 s apart by default); older Node on each read.
const CONNECTIONS_CHECK_MS = 2_000

export interface Host {
  server: Server
  /** Stops accepting, lets the requests in flight finish for up to `graceMs`, and resolves when they have. */
  shutdown(graceMs: number): Promise<void>
}

/** The request classes whose prototypes lead to Express's, so the function gets Express's objects. */
export interface RequestClasses {
  Request: typeof IncomingMessage
  Response: typeof ServerResponse
}

/** The catalogue entry for an error of the HTTP parser, with the parser's reason when it gives one. */
function parserFailure(err: NodeJS.ErrnoException & { reason?: string }): [HostFailure, string | undefined] {
  if (err.code === 'HPE_HEADER_OVERFLOW') return [CATALOGUE.headersTooLarge, undefined]
  if (/TIMEOUT/i.test(String(err.code))) return [CATALOGUE.headersTimedOut, undefined]
  return [CATALOGUE.malformedRequest, err.reason || err.code || undefined]
}

function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy()
    return
  }
  const [failure, detail] = parserFailure(err)
  sendRawFailure(socket, failure, detail)
}

/**
 * The head of `req` again, with `upgrade` taken out of its Connection tokens. The Upgrade header stays for the
 * function to see; without the token, the HTTP parser reads the request as a plain one.
 */
function headWithoutUpgradeToken(req: IncomingMessage): Buffer {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    let value = req.rawHeaders[i + 1]
    if (req.rawHeaders[i].toLowerCase() === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && token.toLowerCase() !== 'upgrade')
        .join(', ')
      if (value === '') continue
    }
    head += `${req.rawHeaders[i]}: ${value}\r\n`
  }
  // Header values come decoded as latin1, so this gives back the bytes that came in.
  return Buffer.from(head + '\r\n', 'latin1')
}

function logAccess(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    const length = res.getHeader('Content-Length')
    const agent = req.headers['user-agent'] || '-'
    const referer = req.headers.referer || '-'
    const when = new Date().toUTCString()
    console.log(
      `${req.socket.remoteAddress || '-'} - - [${when}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${length === undefined ? '-' : length} "${referer}" "${agent}"`,
    )
  })
}

/** node:http serving the platform endpoints and the function; no router. */
export function createHost(invoker: Invoker, classes: RequestClasses): Host {
  const { metrics, config } = invoker
  const options = {
    IncomingMessage: classes.Request,
    ServerResponse: classes.Response,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    // Node 20+ answers an HTTP/1.1 request without Host with a bare 400; 1.x and Node 10/12 served it.
    requireHostHeader: false,
  }
  const server = createServer(options, (req, res) => {
    if (!answerPlatform(req, res, metrics)) invoke(invoker, req, res, req.method as string)
  })
  if (config.accessLog) server.on('request', logAccess)
  server.headersTimeout = HEADERS_TIMEOUT_MS
  // A socket idle while no request is in flight is closed; one whose request is running is left alone,
  // FUNC_TIMEOUT bounds it. Not server.setTimeout: Node would re-arm that timer at the start of every request. Each
  // socket gets its own timer when it connects instead, and Node's keep-alive timer takes over after a response.
  // Zero, because Node 10 and 12 would otherwise close every socket after 120 s, a call in flight too.
  server.timeout = 0
  server.on('timeout', (socket: Socket) => {
    if (!(socket as unknown as { _httpMessage?: unknown })._httpMessage) socket.destroy()
  })
  server.on('clientError', onClientError)
  // Without a listener node:http drops the connection without a word.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => sendRawFailure(socket, CATALOGUE.tunnelRefused))
  // The host upgrades no protocol, and 1.x served such a request as a plain one (curl --http2 asks for h2c on every
  // call). Node does too when no 'upgrade' listener is set, but then its parser drops the first framing error in the
  // body without a word, and the request hangs. So the request goes through a fresh parser without the upgrade
  // token, which answers like any other. setImmediate: Node 10 aborts when the freed parser is reused while the
  // parser that emitted 'upgrade' is still on the stack.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, bodyHead: Buffer) => {
    socket.unshift(Buffer.concat([headWithoutUpgradeToken(req), bodyHead]))
    setImmediate(() => server.emit('connection', socket))
  })

  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    // A socket comes here twice when it asked for an upgrade.
    if (sockets.has(socket)) return
    sockets.add(socket)
    socket.setTimeout(IDLE_SOCKET_TIMEOUT_MS)
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
