import { ServerResponse, STATUS_CODES } from 'http'
import { Socket } from 'net'
import { responseEnded } from './respond'

/**
 * One way a call can fail before or instead of the function's own answer. `body` is the whole answer, or its
 * start when a detail follows after ": ". `close` ends the connection after the answer: the rest of the request
 * cannot be trusted or is not wanted.
 */
export interface HostFailure {
  /** The same name in the Python host's catalogue (runtimes/python-host/kless_host/failures.py). */
  name: string
  status: number
  body: string
  contentType: string
  close: boolean
}

const TEXT = 'text/plain; charset=utf-8'

// Bodies and content types of the first two are those of the 1.x runtime; the rest name the problem in one line.
export const CATALOGUE = {
  functionFailed: { name: 'function-failed', status: 500, body: 'Internal Server Error', contentType: 'text/html; charset=utf-8', close: false },
  functionTimedOut: {
    name: 'function-timed-out',
    status: 408,
    body: '{"code":"ERR_SCRIPT_EXECUTION_TIMEOUT"}',
    contentType: 'application/json; charset=utf-8',
    close: false,
  },
  hostFailed: { name: 'host-failed', status: 500, body: 'Internal Server Error: the runtime failed', contentType: TEXT, close: false },
  malformedRequest: { name: 'malformed-request', status: 400, body: 'Bad Request', contentType: TEXT, close: true },
  tunnelRefused: {
    name: 'tunnel-refused',
    status: 405,
    body: 'Method Not Allowed: CONNECT opens a tunnel, which a function does not serve',
    contentType: TEXT,
    close: true,
  },
  badTarget: { name: 'bad-target', status: 400, body: 'Bad Request: the request target must be a path starting with /', contentType: TEXT, close: false },
  malformedCloudEvent: { name: 'malformed-cloudevent', status: 400, body: 'Bad Request', contentType: TEXT, close: false },
  jsonTooDeep: { name: 'json-too-deep', status: 400, body: 'Bad Request: the JSON body is nested too deeply to parse', contentType: TEXT, close: false },
  headersTooLarge: { name: 'headers-too-large', status: 431, body: 'Request Header Fields Too Large', contentType: TEXT, close: true },
  headersTimedOut: {
    name: 'headers-timed-out',
    status: 408,
    body: 'Request Timeout: the request headers did not arrive in time',
    contentType: TEXT,
    close: true,
  },
  bodyTooLarge: { name: 'body-too-large', status: 413, body: 'Payload Too Large', contentType: TEXT, close: true },
  bodyTimedOut: { name: 'body-timed-out', status: 408, body: 'Request Timeout', contentType: TEXT, close: true },
} satisfies Record<string, HostFailure>

/** An error's stack for the log; a thrown non-error (a string, undefined) says so. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack || err.message
  return `a non-error value was thrown or rejected: ${String(err)}`
}

function bodyOf(failure: HostFailure, detail: string | undefined): string {
  return detail === undefined ? failure.body : `${failure.body}: ${detail}`
}

// A client that is still sending (a large upload) when the answer goes out would get a reset, not the answer,
// if the socket closed at once: its unread bytes make the kernel send RST. So the answer is written, the
// sending side closed, and what the client still sends is read and dropped until it closes, for a bounded time.
const LINGER_MS = 5_000

function closeAfterAnswer(socket: Socket): void {
  socket.end()
  socket.resume()
  socket.once('end', () => socket.destroy())
  setTimeout(() => socket.destroy(), LINGER_MS).unref()
}

/** Answers with the failure; it replaces whatever status and content type the function had chosen. */
export function sendFailure(res: ServerResponse, failure: HostFailure, detail?: string): void {
  if (responseEnded(res)) return
  if (res.headersSent) {
    // Too late for a status line: cut the response short so the client sees it incomplete.
    res.destroy()
    return
  }
  const body = bodyOf(failure, detail)
  res.statusCode = failure.status
  res.setHeader('Content-Type', failure.contentType)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  if (failure.close) {
    res.setHeader('Connection', 'close')
    // node:http closes a connection with `destroySoon()` once the answer is out (Node 10 to 22).
    const socket = res.socket
    if (socket) socket.destroySoon = () => closeAfterAnswer(socket)
  }
  res.end(body)
}

/** The failure as raw HTTP/1.1 bytes, for a socket the HTTP server no longer (or never) wrote to. */
export function rawFailure(failure: HostFailure, detail?: string): string {
  const body = bodyOf(failure, detail)
  return (
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}\r\nContent-Type: ${failure.contentType}\r\n` +
    `Access-Control-Allow-Origin: *\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/** Writes the failure on a socket the HTTP parser gave up on, then closes it as `sendFailure` does. */
export function sendRawFailure(socket: Socket, failure: HostFailure, detail?: string): void {
  socket.write(rawFailure(failure, detail))
  closeAfterAnswer(socket)
}
