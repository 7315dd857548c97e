// Random raw HTTP requests for the hosts' fuzz tests (runtimes/*/test/fuzz.test.ts): bytes a proxy, a scanner or a
// broken client may send, written on loopback sockets. One generator for both hosts, so both face the same input.
import { readFileSync } from 'fs'
import { connect } from 'net'
import type { Test } from 'tap'

/**
 * One raw request. `invalidJson` marks a request whose JSON body may not parse: 500, as in 1.x. `mayWait` marks
 * bytes a parser may read as a request still arriving (bare LF line ends, which waitress ends a head with only
 * at CRLF CRLF; a chunk longer than its data): the host may wait for the rest, and its timeout answers later than
 * this test waits.
 */
export interface RawCase {
  bytes: Buffer
  invalidJson: boolean
  mayWait: boolean
}

export interface RawAnswer {
  /** Status of the first response, or null when the connection ended without one. */
  status: number | null
  body: string
  /** What the client saw go wrong (ECONNRESET, EPIPE, a timeout) before the answer was complete. */
  error?: string
}

/** A small seeded generator (mulberry32), so a failing batch can be replayed with KLESS_FUZZ_SEED. */
export function random(seed: number): { int(n: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return { int, pick: (items) => items[int(items.length)], chance: (p) => next() < p }
}

type Random = ReturnType<typeof random>

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'get', 'CONNECT', 'TRACE', 'PROPFIND', 'G\u00e9T', 'GE T', '']
const TARGETS = [
  '/',
  '/healthz',
  '/metrics',
  '*',
  '//',
  '/%',
  '/%ff',
  '/%00',
  '/%C0%AF',
  '/..%2f..%2fetc',
  '/a?b=%zz&c',
  '/?x[y][z]=1',
  'http://example.com/x?y=1',
  '/\u00ff\u00fe',
  'no-slash',
  '',
  '/' + 'a'.repeat(9000),
  '/a#frag',
  '/a b',
]
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.x', 'HTTP/9.9', 'http/1.1', '']
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/octet-stream',
  '\u00ff\u00fe/\u0080',
  ';;;',
  'application/json; charset=latin1',
]

function bytesOf(r: Random, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += String.fromCharCode(r.int(256))
  return s
}

function body(r: Random): { text: string; json: boolean } {
  const depth = r.pick([10, 5000, 200000])
  return r.pick([
    { text: '', json: true },
    { text: '{"a":1}', json: true },
    { text: '{"a":', json: false },
    { text: '['.repeat(depth) + ']'.repeat(depth), json: true },
    { text: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), json: true },
    { text: '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"x":1}}', json: true },
    { text: '[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{"id":2}]', json: true },
    { text: bytesOf(r, r.int(300)), json: false },
    { text: '\u00ff\u00fe\u0000\u00c3(', json: false },
  ])
}

/** Framing of the body: honest, conflicting, or broken. */
function framing(r: Random, text: string): { headers: string[]; payload: string; mayWait?: boolean } {
  const length = Buffer.byteLength(text, 'latin1')
  const chunked = (size: string, data: string) => `${size}\r\n${data}\r\n0\r\n\r\n`
  return r.pick([
    { headers: [`Content-Length: ${length}`], payload: text },
    { headers: [`Content-Length: ${length}`, `Content-Length: ${length + 1}`], payload: text },
    { headers: [`Content-Length: ${length}, ${length}`], payload: text },
    { headers: ['Content-Length: -1'], payload: text },
    { headers: ['Content-Length: 1e3'], payload: text },
    { headers: ['Content-Length: 99999999999999999999'], payload: '' },
    { headers: [`Content-Length: ${length}`, 'Transfer-Encoding: chunked'], payload: chunked(length.toString(16), text) },
    { headers: ['Transfer-Encoding: chunked'], payload: chunked(length.toString(16), text) },
    { headers: ['Transfer-Encoding: chunked'], payload: chunked('zz', text) },
    { headers: ['Transfer-Encoding: chunked'], payload: `${(length + 5).toString(16)}\r\n${text}\r\n\r\n0\r\n\r\n`, mayWait: true },
    { headers: ['Transfer-Encoding: chunked'], payload: `${length.toString(16)};ext=\u00ff\r\n${text}\r\n0\r\n\r\n` },
    { headers: ['Transfer-Encoding: chunked'], payload: `${length.toString(16)}\n${text}\n0\n\n`, mayWait: true },
    { headers: ['Transfer-Encoding: gzip, chunked'], payload: chunked(length.toString(16), text) },
    { headers: ['Transfer-Encoding: identity'], payload: text },
    { headers: ['Transfer-Encoding: chunked, identity'], payload: chunked(length.toString(16), text) },
    { headers: ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], payload: chunked(length.toString(16), text) },
    { headers: [], payload: '' },
  ])
}

function oddHeader(r: Random): string {
  return r.pick([
    `X-Bytes: ${bytesOf(r, 20).replace(/[\r\n]/g, '')}`,
    'X-Utf8: caf\u00c3\u00a9',
    `ce-type: ${bytesOf(r, 8).replace(/[\r\n]/g, '')}`,
    'ce-specversion: 1.0',
    'traceparent: 00-\u00ff\u00ff-zz-01',
    'X-Fold: a\r\n  folded',
    'NoColon',
    'Space Name: x',
    'X-Before : colon',
    ': empty-name',
    'X-Nul: a\u0000b',
    'X-Bare-Cr: a\rb',
    'Expect: 100-continue',
    'Connection: keep-alive, Upgrade',
    'Upgrade: websocket',
    'Host: \u00ff',
    `X-Long: ${'x'.repeat(r.pick([100, 7000, 20000]))}`,
    'Access-Control-Request-Method: \u00ff',
    'Access-Control-Request-Headers: x-a, \u00e9',
  ])
}

/** One random request, mostly plausible, with one or more things wrong. */
export function rawCase(r: Random): RawCase {
  const method = r.chance(0.7) ? r.pick(['GET', 'POST', 'OPTIONS', 'PUT']) : r.pick(METHODS)
  const target = r.chance(0.5) ? '/' : r.pick(TARGETS)
  const version = r.chance(0.85) ? 'HTTP/1.1' : r.pick(VERSIONS)
  const { text, json } = body(r)
  const contentType = r.chance(0.6) ? r.pick(CONTENT_TYPES.slice(0, 4)) : r.pick(CONTENT_TYPES)
  const frame = framing(r, text)
  const headers = ['Host: 127.0.0.1', `Content-Type: ${contentType}`, ...frame.headers]
  for (let i = r.int(3); i > 0; i--) headers.splice(r.int(headers.length + 1), 0, oddHeader(r))
  if (r.chance(0.1)) headers.shift()
  const bareLf = r.chance(0.05)
  const lineEnd = bareLf ? '\n' : '\r\n'
  const head = `${method} ${target} ${version}`.trim() + lineEnd + headers.map((h) => h + lineEnd).join('') + lineEnd
  const framedHonestly = frame.headers.length === 1 && frame.headers[0] === `Content-Length: ${Buffer.byteLength(text, 'latin1')}`
  const mime = contentType.split(';')[0]
  const parsedAsJson = mime === 'application/json' || mime.startsWith('application/cloudevents')
  return {
    bytes: Buffer.from(head + frame.payload, 'latin1'),
    invalidJson: parsedAsJson && (!json || framedHonestly === false),
    mayWait: bareLf || frame.mayWait === true,
  }
}

function parseAnswer(received: Buffer, head: boolean): RawAnswer | undefined {
  // Interim answers (100 Continue) come before the one that counts.
  const text = received.toString('latin1').replace(/^(HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '')
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)
  if (!status) return { status: null, body: text.slice(0, 200) }
  if (head || status[1] === '204' || status[1] === '304') return { status: Number(status[1]), body: '' }
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
  const body = text.slice(end + 4)
  if (length && body.length < Number(length[1])) return undefined
  return { status: Number(status[1]), body: length ? body.slice(0, Number(length[1])) : body }
}

/**
 * Writes `bytes` on a fresh loopback connection and reads the first answer. With `keepSending`, the client
 * goes on writing filler after `bytes` until the answer is complete, as a client uploading a large body does.
 */
export function sendRaw(port: number, bytes: Buffer, options: { timeoutMs?: number; keepSending?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD '
    const answered = (): RawAnswer | undefined => parseAnswer(Buffer.concat(chunks), head)
    let settled = false
    const finish = (answer: RawAnswer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish({ ...(answered() ?? { status: null, body: '' }), error: 'no complete answer in time' }), options.timeoutMs ?? 5000)
    const filler = Buffer.alloc(64 * 1024, 'x')
    const pump = (): void => {
      while (!settled && socket.write(filler));
    }
    socket.on('connect', () => {
      socket.write(bytes)
      if (options.keepSending) {
        socket.on('drain', pump)
        pump()
      }
    })
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const answer = answered()
      if (answer) finish(answer)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ...(answered() ?? { status: null, body: '' }), error: err.code ?? err.message }))
    socket.on('close', () =>
      finish(answered() ?? { status: null, body: Buffer.concat(chunks).toString('latin1').slice(0, 200), error: 'closed without an answer' }),
    )
  })
}

/** A failure of the host's catalogue as the fuzz test checks it: the status and the start of the body. */
export interface CatalogueEntry {
  name: string
  status: number
  body: string
}

/**
 * Why an answer to a random request breaks the contract, or undefined when it keeps it: every answer comes, a
 * 5xx only as the catalogue's function failure for invalid JSON, and every 4xx is one of the catalogue's.
 */
export function contractBreach(answer: RawAnswer, rawCase: RawCase, catalogue: CatalogueEntry[]): string | undefined {
  if (answer.status === null && rawCase.mayWait && answer.error === 'no complete answer in time') return undefined
  if (answer.status === null) return `no answer (${answer.error ?? 'closed'}): ${JSON.stringify(answer.body)}`
  if (answer.status < 400) return undefined
  // A HEAD answer has no body to tell the entries apart.
  const head = rawCase.bytes.subarray(0, 5).toString('latin1') === 'HEAD '
  const entries = catalogue.filter((entry) => entry.status === answer.status && (head || answer.body.startsWith(entry.body)))
  if (entries.length === 0) return `${answer.status} is not in the host's failure catalogue: ${JSON.stringify(answer.body.slice(0, 200))}`
  if (answer.status >= 500 && !(rawCase.invalidJson && entries.some((entry) => entry.name === 'function-failed')))
    return `${answer.status} ${entries[0].name} for a malformed request`
  return undefined
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : NaN
}

const BATCHES = 8
const PER_BATCH = 40
// Over one replay, eight seeds grew RSS by 0–25 MB on a quiet machine, as V8 kept growing into its heap; a host that
// kept each 1 MB body it refused would grow by more than this, though a small leak per request would not show here.
const RSS_GROWTH_MB = 40
// The wait for a request the host may still be reading (RawCase.mayWait): its answer would only come at the host's
// own timeout, 30 s or more, so a longer wait proves nothing and holds up the whole batch.
const MAY_WAIT_MS = 1000
/** KLESS_FUZZ_SEED replays a run; the seed is in the test's name. */
export const FUZZ_SEED = Number(process.env.KLESS_FUZZ_SEED) || Date.now() % 100000

/**
 * Sends batches of random requests to a running host serving a function that answers `ok`, and checks every
 * answer against the host's catalogue; after each batch /healthz and a normal call must answer. Then the second half
 * of the batches is sent again, and RSS must stay flat over that replay: the heap grows into the needs of the
 * heaviest batch (forty 1 MB deep-JSON bodies at once can add 40 MB), and a replay of requests it has already served
 * needs no more, so what grows then is a leak.
 */
export async function fuzzHost(t: Test, host: { url: string; pid: number }, catalogue: CatalogueEntry[]): Promise<void> {
  const port = Number(new URL(host.url).port)
  const r = random(FUZZ_SEED)
  const breaches: string[] = []
  const batches = Array.from({ length: BATCHES }, () => Array.from({ length: PER_BATCH }, () => rawCase(r)))
  const send = async (cases: RawCase[], label: string) => {
    const answers = await Promise.all(cases.map((c) => sendRaw(port, c.bytes, { timeoutMs: c.mayWait ? MAY_WAIT_MS : undefined })))
    answers.forEach((answer, i) => {
      const breach = contractBreach(answer, cases[i], catalogue)
      if (breach) breaches.push(`${breach}\n    request: ${JSON.stringify(cases[i].bytes.toString('latin1').slice(0, 300))}`)
    })
    t.equal((await fetch(`${host.url}/healthz`)).status, 200, `/healthz after ${label}`)
    t.equal(await (await fetch(`${host.url}/`)).text(), 'ok', `a normal call after ${label}`)
  }
  for (const [index, cases] of batches.entries()) await send(cases, `batch ${index}`)
  const half = Math.floor(BATCHES / 2)
  const warm = rssMb(host.pid)
  for (const [index, cases] of batches.slice(half).entries()) await send(cases, `batch ${half + index} again`)
  t.same(breaches.slice(0, 10), [], `${breaches.length} of ${(BATCHES + BATCHES - half) * PER_BATCH} answers broke the contract`)
  const grown = rssMb(host.pid) - warm
  t.ok(grown < RSS_GROWTH_MB, `RSS grew ${grown.toFixed(1)} MB while batches ${half} to ${BATCHES - 1} were sent again`)
}
