import { Agent, request as httpRequest, createServer, IncomingHttpHeaders, Server } from 'http'
import { AddressInfo, connect, Socket } from 'net'
import { bodyBytes, headerValue, RawSpec, RequestSpec } from './table'

export interface Response {
  status: number
  headers: IncomingHttpHeaders
  /** Header name/value pairs exactly as received, for checks on values such as "undefined". */
  rawHeaders: string[]
  body: Buffer
  ms: number
}

/** The outcome of one request: a response, or the reason there was none. */
export type Outcome = { response: Response } | { error: string; ms: number }

// A fresh connection per request keeps one row's broken connection from leaking into the next row.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity })

export function send(baseUrl: string, spec: RequestSpec, timeoutMs = 15000): Promise<Outcome> {
  const started = Date.now()
  const body = bodyBytes(spec.body)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name] = headerValue(value)
  // An explicit Content-Length or Transfer-Encoding (chunked bodies) is the row's to choose.
  const framed = Object.keys(headers).some((name) => ['content-length', 'transfer-encoding'].includes(name.toLowerCase()))
  if (body && !framed) headers['content-length'] = String(body.length)
  return new Promise((resolve) => {
    const req = httpRequest(`${baseUrl}${spec.path ?? '/'}`, { method: spec.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          response: { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), ms: Date.now() - started },
        }),
      )
      res.on('error', (err) => resolve({ error: `response broke off: ${err.message}`, ms: Date.now() - started }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)))
    req.on('error', (err) => resolve({ error: err.message, ms: Date.now() - started }))
    req.end(body)
  })
}

export interface RawResult {
  /** Status of the first response line per connection, or null when it closed or was still silent. */
  statuses: Array<number | null>
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Writes hand-made bytes on `connections` sockets, `chunkDelayMs` apart, then waits briefly for answers.
 * `meanwhile` runs after the first chunk went out, while every connection is still open.
 */
export async function sendRaw(baseUrl: string, spec: RawSpec, meanwhile: () => Promise<void>): Promise<RawResult> {
  const { hostname, port } = new URL(baseUrl)
  const sockets: Array<{ socket: Socket; received: string; closed: boolean }> = []
  for (let i = 0; i < (spec.connections ?? 1); i++) {
    const entry = { socket: connect(Number(port), hostname), received: '', closed: false }
    entry.socket.on('data', (chunk: Buffer) => (entry.received += chunk.toString('latin1')))
    entry.socket.on('error', () => (entry.closed = true))
    entry.socket.on('close', () => (entry.closed = true))
    sockets.push(entry)
  }
  await Promise.all(sockets.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve).once('error', resolve))))
  let meanwhileDone: Promise<void> | undefined
  for (const [index, chunk] of spec.chunks.entries()) {
    for (const { socket, closed } of sockets) if (!closed) socket.write(chunk)
    if (index === 0) meanwhileDone = meanwhile()
    if (index < spec.chunks.length - 1) await sleep(spec.chunkDelayMs ?? 0)
  }
  await meanwhileDone
  const deadline = Date.now() + 2000
  while (Date.now() < deadline && sockets.some((entry) => !entry.closed && !/^HTTP\/1\.\d \d{3}/.test(entry.received))) await sleep(20)
  for (const { socket } of sockets) socket.destroy()
  return {
    statuses: sockets.map(({ received }) => {
      const match = /^HTTP\/1\.\d (\d{3})/.exec(received)
      return match ? Number(match[1]) : null
    }),
  }
}

export interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A loopback HTTP server standing in for the event publisher proxy; remembers what it was sent. */
export class Sink {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: Received[],
  ) {}

  static async start(): Promise<Sink> {
    const received: Received[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.statusCode = 204
        res.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return new Sink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received)
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      // Keep-alive connections from publishing functions would otherwise hold close() open (Node ≥ 18.2).
      ;(this.server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
    })
  }
}
