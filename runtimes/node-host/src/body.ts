import { IncomingMessage } from 'http'

export class BodyTooLarge extends Error {}
export class BodyTimeout extends Error {}

/** A request carries a body when it says so, as body-parser's `type-is.hasBody` decides. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined
}

const EMPTY = Buffer.alloc(0)

interface Reading {
  deadline: number
  expire(): void
}

// Bodies still arriving, with their deadlines, checked by one sweep each second: a timer per request (set, then
// cleared) cost 3–5 % of the CPU of a small POST. A body that is late is refused within a second of its deadline.
const reading = new Set<Reading>()
const SWEEP_MS = 1000
let sweeper: NodeJS.Timeout | undefined

function sweep(): void {
  const now = Date.now()
  for (const body of reading) if (now >= body.deadline) body.expire()
}

/**
 * Reads the whole body, refusing it as soon as it exceeds `limit` bytes (before reading, when Content-Length
 * already says so) and when it trickles in slower than `timeoutMs` overall. Calls back exactly once; a callback,
 * not a promise, since the body is read for every call that has one.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number, done: (error: Error | undefined, body: Buffer) => void): void {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return done(new BodyTooLarge(), EMPTY)
  if (!sweeper) {
    sweeper = setInterval(sweep, SWEEP_MS)
    sweeper.unref()
  }
  const chunks: Buffer[] = []
  let size = 0
  // In `reading` until the body ends or is refused, whichever comes first: that one calls back.
  const entry: Reading = { deadline: Date.now() + timeoutMs, expire: () => refuse(new BodyTimeout()) }
  reading.add(entry)
  function refuse(error: Error): void {
    if (!reading.delete(entry)) return
    req.removeListener('data', onData)
    req.removeListener('end', onEnd)
    req.removeListener('error', refuse)
    // Keep draining so the error response can still be written on this connection.
    req.resume()
    done(error, EMPTY)
  }
  function onData(chunk: Buffer): void {
    size += chunk.length
    if (size > limit) refuse(new BodyTooLarge())
    else chunks.push(chunk)
  }
  // The listeners stay on a body read to its end: removing a 'data' listener costs a tick of the stream's own.
  function onEnd(): void {
    if (!reading.delete(entry)) return
    done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
  }
  req.on('data', onData)
  req.on('end', onEnd)
  req.on('error', refuse)
}
