import { IncomingMessage } from 'http'

export class BodyTooLarge extends Error {}
export class BodyTimeout extends Error {}

/** A request carries a body when it says so, as body-parser's `type-is.hasBody` decides. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined
}

/**
 * Reads the whole body, refusing it as soon as it exceeds `limit` bytes (before reading, when Content-Length
 * already says so) and when it trickles in slower than `timeoutMs` overall.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return Promise.reject(new BodyTooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const timer = setTimeout(() => finish(new BodyTimeout()), timeoutMs)
    function finish(error?: Error): void {
      clearTimeout(timer)
      req.removeListener('data', onData)
      req.removeListener('end', onEnd)
      req.removeListener('error', finish)
      if (error) {
        // Keep draining so the error response can still be written on this connection.
        req.resume()
        reject(error)
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
      }
    }
    function onData(chunk: Buffer): void {
      size += chunk.length
      if (size > limit) finish(new BodyTooLarge())
      else chunks.push(chunk)
    }
    function onEnd(): void {
      finish()
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', finish)
  })
}
