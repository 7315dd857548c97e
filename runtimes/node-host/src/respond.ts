import { ServerResponse } from 'http'

type ExpressResponse = ServerResponse & { json(body: unknown): unknown }

export function responseEnded(res: ServerResponse): boolean {
  return res.finished || Boolean((res as { writableEnded?: boolean }).writableEnded)
}

/**
 * Turns a function's return value into the response, as the 1.x runtime did: strings raw, numbers and
 * booleans as their JSON text, objects through Express's res.json. One deliberate change: a Buffer is sent
 * as its bytes (application/octet-stream unless the function chose a type) instead of JSON of the Buffer.
 * Throws for values JSON cannot represent (BigInt, circular objects); the caller answers 500.
 */
export function sendResult(res: ServerResponse, value: unknown, loadExpress: () => void): void {
  if (res.headersSent) {
    // The function started writing the response itself; only finish it.
    res.end()
    return
  }
  switch (typeof value) {
    case 'string':
      res.end(value)
      return
    case 'undefined':
    case 'symbol':
    case 'function':
      res.end()
      return
    case 'number':
    case 'boolean':
    case 'bigint':
      res.end(JSON.stringify(value))
      return
  }
  if (Buffer.isBuffer(value)) {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/octet-stream')
    res.end(value)
    return
  }
  loadExpress()
  ;(res as ExpressResponse).json(value)
}
