import { existsSync, readFileSync } from 'fs'
import { join } from 'path'
import { parse } from 'yaml'

/** A request body as written in the table; generated forms keep huge or binary bodies out of the file. */
export type BodySpec = string | { json: unknown } | { base64: string } | { fill: string; bytes: number }

/** A header value: literal, or `{ fill, bytes }` for a generated one (huge-header cases). */
export type HeaderSpec = string | { fill: string; bytes: number }

export interface RequestSpec {
  method?: string
  path?: string
  headers?: Record<string, HeaderSpec>
  body?: BodySpec
}

export interface HeaderExpect {
  present?: string[]
  absent?: string[]
  equal?: Record<string, string>
  match?: Record<string, string>
}

export interface Expect {
  status?: number | number[]
  /** The connection closes (or resets) without any HTTP response. */
  noResponse?: boolean
  body?: string
  contains?: string | string[]
  notContains?: string | string[]
  regex?: string
  /** Subset match on the parsed JSON body; the string "<absent>" asserts a key is missing. */
  json?: unknown
  /** Exact body bytes, base64. */
  bytes?: string
  headers?: HeaderExpect
  /** Upper bound on the time the row took, in ms (latency of one request, or of a whole concurrent batch). */
  withinMs?: number
  /** Lower bound, to prove a timeout really waited. */
  atLeastMs?: number
  /** Metric sample → expected increase over the row, e.g. `function_calls_total{method="handler-GET"}: 2`. */
  metrics?: Record<string, number>
  /** The last request that reached the loopback sink (PUBLISHER_PROXY_ADDRESS, an OTLP endpoint, … set to ${SINK_URL}). */
  sink?: { json?: unknown; contains?: string | string[]; headers?: HeaderExpect }
  /** raw kind: while the connections are held open, the function still answers its normal call. */
  servesMeanwhile?: boolean
  /** signal kind: the exit code the process ends with. */
  exitCode?: number
  /** signal kind: once signalled, the process takes no new connections. */
  refusesNew?: boolean
}

export interface Step {
  request: RequestSpec
  expect?: Expect
}

export interface RawSpec {
  /** Pieces written one after another on each connection; escapes like \r\n come from YAML double quotes. */
  chunks: string[]
  chunkDelayMs?: number
  connections?: number
}

export interface SignalSpec {
  name: 'SIGTERM' | 'SIGINT'
  /** Sent this long after the request went out, while it is in flight. */
  afterMs: number
}

export type Kind = 'request' | 'sequence' | 'concurrent' | 'raw' | 'signal'

export interface RuntimeOverride {
  expect?: Expect
  exits?: boolean
  /** Why this row does not apply to that runtime. */
  skip?: string
}

export interface Row {
  name: string
  function: string
  kind: Kind
  env: Record<string, string>
  request: RequestSpec
  steps: Step[]
  count: number
  raw?: RawSpec
  signal?: SignalSpec
  expect: Expect
  /** The process ends because of this row by design; the runner waits for the exit and starts it again. */
  exits: boolean
  runtimes: Record<string, RuntimeOverride>
  /** Runtimes this row was written for; absent means every runtime in the registry. */
  only?: string[]
}

export interface FunctionSpec {
  description: string
  /** The request that must answer 200 whenever the function is healthy; null when no call can succeed. */
  normalCall: RequestSpec | null
}

export interface Table {
  functions: Record<string, FunctionSpec>
  rows: Row[]
}

const ROW_KEYS = ['name', 'function', 'kind', 'env', 'request', 'steps', 'count', 'raw', 'signal', 'expect', 'exits', 'runtimes', 'only']
const EXPECT_KEYS = [
  'status',
  'noResponse',
  'body',
  'contains',
  'notContains',
  'regex',
  'json',
  'bytes',
  'headers',
  'withinMs',
  'atLeastMs',
  'metrics',
  'sink',
  'servesMeanwhile',
  'exitCode',
  'refusesNew',
]
const KINDS: Kind[] = ['request', 'sequence', 'concurrent', 'raw', 'signal']

export const DEFAULT_TABLE = join(__dirname, '..', 'cases.yaml')
export const FUNCTIONS_DIR = join(__dirname, '..', 'functions')

function fail(where: string, problem: string): never {
  throw new Error(`conformance table, ${where}: ${problem}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(where, `unknown key "${key}" (allowed: ${allowed.join(', ')})`)
}

function checkExpect(where: string, value: unknown): Expect {
  if (value === undefined) return {}
  if (!isObject(value)) fail(where, 'expect must be a mapping')
  checkKeys(`${where} expect`, value, EXPECT_KEYS)
  if (value.regex !== undefined) {
    try {
      new RegExp(String(value.regex))
    } catch (err) {
      fail(where, `expect.regex is not a valid regular expression: ${(err as Error).message}`)
    }
  }
  return value as Expect
}

function checkRequest(where: string, value: unknown): RequestSpec {
  if (value === undefined) return {}
  if (!isObject(value)) fail(where, 'request must be a mapping')
  checkKeys(`${where} request`, value, ['method', 'path', 'headers', 'body'])
  if (value.path !== undefined && !String(value.path).startsWith('/')) fail(where, `request.path "${value.path}" must start with /`)
  return value as RequestSpec
}

function checkRow(raw: unknown, index: number, functions: Record<string, FunctionSpec>, seen: Set<string>): Row {
  const where = `row ${index + 1}`
  if (!isObject(raw)) fail(where, 'each row must be a mapping')
  const name = raw.name
  if (typeof name !== 'string' || !name) fail(where, 'name is required')
  const at = `row ${index + 1} "${name}"`
  checkKeys(at, raw, ROW_KEYS)
  if (seen.has(name)) fail(at, 'duplicate name; names identify the tap subtests')
  seen.add(name)
  const fn = raw.function
  if (typeof fn !== 'string' || !functions[fn]) fail(at, `function "${String(fn)}" is not declared under functions:`)
  const kind = (raw.kind ?? 'request') as Kind
  if (!KINDS.includes(kind)) fail(at, `kind "${kind}" is not one of ${KINDS.join(', ')}`)
  const env = (raw.env ?? {}) as Record<string, unknown>
  if (!isObject(env)) fail(at, 'env must be a mapping of strings')
  for (const [key, value] of Object.entries(env)) if (typeof value !== 'string') fail(at, `env ${key} must be a quoted string`)
  const steps = ((raw.steps ?? []) as unknown[]).map((step, i) => {
    if (!isObject(step)) fail(at, `steps[${i}] must be a mapping`)
    checkKeys(`${at} steps[${i}]`, step, ['request', 'expect'])
    return { request: checkRequest(`${at} steps[${i}]`, step.request), expect: checkExpect(`${at} steps[${i}]`, step.expect) }
  })
  if (kind === 'sequence' && steps.length === 0) fail(at, 'a sequence needs steps')
  if (kind !== 'sequence' && raw.steps !== undefined) fail(at, 'steps only belong to kind: sequence')
  const count = raw.count ?? 1
  if (typeof count !== 'number' || count < 1 || count > 2000) fail(at, 'count must be a number from 1 to 2000')
  if (kind === 'raw') {
    const spec = raw.raw
    if (!isObject(spec) || !Array.isArray(spec.chunks) || spec.chunks.length === 0) fail(at, 'kind raw needs raw.chunks')
  }
  if (kind === 'signal') {
    const spec = raw.signal
    if (!isObject(spec) || !['SIGTERM', 'SIGINT'].includes(String(spec.name)) || typeof spec.afterMs !== 'number') {
      fail(at, 'kind signal needs signal: { name: SIGTERM or SIGINT, afterMs: <number> }')
    }
    if (raw.exits !== true) fail(at, 'a signal ends the process: say exits: true')
  }
  const runtimes = (raw.runtimes ?? {}) as Record<string, RuntimeOverride>
  if (!isObject(runtimes)) fail(at, 'runtimes must map a runtime name to overrides')
  for (const [runtime, override] of Object.entries(runtimes)) {
    if (!isObject(override)) fail(at, `runtimes.${runtime} must be a mapping`)
    checkKeys(`${at} runtimes.${runtime}`, override, ['expect', 'exits', 'skip'])
    checkExpect(`${at} runtimes.${runtime}`, override.expect)
  }
  return {
    name,
    function: fn,
    kind,
    env: env as Record<string, string>,
    request: checkRequest(at, raw.request),
    steps,
    count,
    raw: raw.raw as RawSpec | undefined,
    signal: raw.signal as SignalSpec | undefined,
    expect: checkExpect(at, raw.expect),
    exits: raw.exits === true,
    runtimes,
    only: raw.only as string[] | undefined,
  }
}

/** Reads and checks the table; every mistake in it is reported with the row it is in. */
export function loadTable(file = DEFAULT_TABLE, functionsDir = FUNCTIONS_DIR): Table {
  const doc = parse(readFileSync(file, 'utf8')) as unknown
  if (!isObject(doc) || !isObject(doc.functions) || !Array.isArray(doc.rows)) fail(file, 'expected top-level "functions:" and "rows:"')
  const functions: Record<string, FunctionSpec> = {}
  for (const [name, spec] of Object.entries(doc.functions)) {
    if (!isObject(spec) || typeof spec.description !== 'string') fail(`function ${name}`, 'needs a description')
    if (!existsSync(join(functionsDir, name))) fail(`function ${name}`, `folder ${join(functionsDir, name)} does not exist`)
    functions[name] = {
      description: spec.description,
      normalCall: spec.normalCall === null ? null : checkRequest(`function ${name} normalCall`, spec.normalCall ?? {}),
    }
  }
  const seen = new Set<string>()
  return { functions, rows: doc.rows.map((row, i) => checkRow(row, i, functions, seen)) }
}

/**
 * The expectation and exit behaviour of a row on one runtime, overrides applied. An override keyed `<runtime>@<target>`
 * (e.g. `nodejs10@image`) applies at that target only, in place of the runtime's own.
 */
export function forRuntime(row: Row, runtime: string, target = 'process'): { expect: Expect; exits: boolean; skip?: string } {
  if (row.only && !row.only.includes(runtime)) return { expect: row.expect, exits: row.exits, skip: `written for ${row.only.join(', ')} only` }
  const override = row.runtimes[`${runtime}@${target}`] ?? row.runtimes[runtime] ?? {}
  const expect: Expect = { ...row.expect, ...override.expect }
  if (row.expect.headers && override.expect?.headers) expect.headers = { ...row.expect.headers, ...override.expect.headers }
  return { expect: withRuntimeName(expect, runtime), exits: override.exits ?? row.exits, skip: override.skip }
}

/** Replaces ${RUNTIME} in every string of an expectation, for values such as context.runtime. */
function withRuntimeName<T>(value: T, runtime: string): T {
  if (typeof value === 'string') return value.split('${RUNTIME}').join(runtime) as T
  if (Array.isArray(value)) return value.map((item) => withRuntimeName(item, runtime)) as T
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withRuntimeName(item, runtime)])) as T
  return value
}

/** The bytes a body spec stands for. */
export function bodyBytes(body: BodySpec | undefined): Buffer | undefined {
  if (body === undefined) return undefined
  if (typeof body === 'string') return Buffer.from(body)
  if ('json' in body) return Buffer.from(JSON.stringify(body.json))
  if ('base64' in body) return Buffer.from(body.base64, 'base64')
  return Buffer.alloc(body.bytes, body.fill)
}

export function headerValue(value: HeaderSpec): string {
  return typeof value === 'string' ? value : value.fill.repeat(Math.ceil(value.bytes / value.fill.length)).slice(0, value.bytes)
}
