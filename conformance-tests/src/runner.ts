import { join } from 'path'
import { Outcome, Response, send, sendRaw, Sink } from './http'
import { launcher, RunningFunction, Target } from './runtimes'
import { Expect, forRuntime, FunctionSpec, FUNCTIONS_DIR, HeaderExpect, Row, Table } from './table'

const ABSENT = '<absent>'

function shown(value: unknown): string {
  const text = JSON.stringify(value)
  return text !== undefined && text.length > 200 ? `${text.slice(0, 200)}…(${text.length} chars)` : String(text)
}

/** Where `actual` differs from the subset `expected`, as readable paths; empty when it matches. */
export function subsetMismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === ABSENT) return actual === undefined ? [] : [`${path} should be absent, is ${shown(actual)}`]
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path} should be ${shown(expected)}, is ${shown(actual)}`]
    return expected.flatMap((item, i) => subsetMismatches(item, actual[i], `${path}[${i}]`))
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path} should be an object, is ${shown(actual)}`]
    return Object.entries(expected).flatMap(([key, value]) => subsetMismatches(value, (actual as Record<string, unknown>)[key], `${path}.${key}`))
  }
  return Object.is(expected, actual) ? [] : [`${path} should be ${shown(expected)}, is ${shown(actual)}`]
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

function headerProblems(expect: HeaderExpect | undefined, headers: Record<string, string | string[] | undefined>): string[] {
  if (!expect) return []
  const value = (name: string) => {
    const found = headers[name.toLowerCase()]
    return Array.isArray(found) ? found.join(', ') : found
  }
  return [
    ...(expect.present ?? []).filter((name) => value(name) === undefined).map((name) => `header ${name} should be present`),
    ...(expect.absent ?? []).filter((name) => value(name) !== undefined).map((name) => `header ${name} should be absent, is "${value(name)}"`),
    ...Object.entries(expect.equal ?? {})
      .filter(([name, want]) => value(name) !== want)
      .map(([name, want]) => `header ${name} should be "${want}", is ${JSON.stringify(value(name))}`),
    ...Object.entries(expect.match ?? {})
      .filter(([name, pattern]) => !new RegExp(pattern).test(value(name) ?? ''))
      .map(([name, pattern]) => `header ${name} should match /${pattern}/, is ${JSON.stringify(value(name))}`),
  ]
}

function preview(body: Buffer): string {
  const text = body.toString('utf8')
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…(${body.length} bytes)` : text)
}

/** Problems of one request's outcome against an expectation; invariants every response must keep are included. */
export function outcomeProblems(expect: Expect, outcome: Outcome): string[] {
  if ('error' in outcome) return expect.noResponse ? [] : [`no response: ${outcome.error}`]
  const res: Response = outcome.response
  if (expect.noResponse) return [`expected no response, got ${res.status} ${preview(res.body)}`]
  const problems: string[] = []
  const statuses = expect.status === undefined ? [] : Array.isArray(expect.status) ? expect.status : [expect.status]
  if (statuses.length && !statuses.includes(res.status))
    problems.push(`status should be ${statuses.join(' or ')}, is ${res.status} (body ${preview(res.body)})`)
  for (let i = 1; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i] === 'undefined') problems.push(`header ${res.rawHeaders[i - 1]} has the value "undefined"`)
  }
  const text = res.body.toString('utf8')
  if (expect.body !== undefined && text !== expect.body) problems.push(`body should be ${JSON.stringify(expect.body)}, is ${preview(res.body)}`)
  for (const part of list(expect.contains)) if (!text.includes(part)) problems.push(`body should contain ${JSON.stringify(part)}, is ${preview(res.body)}`)
  for (const part of list(expect.notContains))
    if (text.includes(part)) problems.push(`body should not contain ${JSON.stringify(part)}, is ${preview(res.body)}`)
  if (expect.regex !== undefined && !new RegExp(expect.regex).test(text)) problems.push(`body should match /${expect.regex}/, is ${preview(res.body)}`)
  if (expect.bytes !== undefined && !res.body.equals(Buffer.from(expect.bytes, 'base64'))) {
    problems.push(`body bytes should be ${expect.bytes} (base64), are ${res.body.toString('base64')}`)
  }
  if (expect.json !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
      problems.push(...subsetMismatches(expect.json, parsed))
    } catch {
      problems.push(`body should be JSON, is ${preview(res.body)}`)
    }
  }
  problems.push(...headerProblems(expect.headers, res.headers))
  if (expect.withinMs !== undefined && res.ms > expect.withinMs) problems.push(`took ${res.ms} ms, limit ${expect.withinMs} ms`)
  if (expect.atLeastMs !== undefined && res.ms < expect.atLeastMs) problems.push(`answered after ${res.ms} ms, expected at least ${expect.atLeastMs} ms`)
  return problems
}

/** `name{labels} value` samples of a Prometheus text exposition; a line that is neither is reported. */
export function parseMetrics(text: string): { samples: Map<string, number>; malformed: string[] } {
  const samples = new Map<string, number>()
  const malformed: string[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (\S+)(?: \d+)?$/.exec(line)
    if (match) samples.set(match[1], Number(match[2]))
    else malformed.push(line)
  }
  return { samples, malformed }
}

async function metricsSnapshot(url: string): Promise<Map<string, number>> {
  const outcome = await send(url, { path: '/metrics' })
  if ('error' in outcome) throw new Error(`GET /metrics failed: ${outcome.error}`)
  const { samples, malformed } = parseMetrics(outcome.response.body.toString('utf8'))
  if (malformed.length) throw new Error(`GET /metrics is not valid exposition text; bad lines: ${JSON.stringify(malformed.slice(0, 3))}`)
  return samples
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The functions one runtime serves during a run: started on first use, shared by every row with the same
 * function and env, restarted when a row ends the process.
 */
export class FunctionPool {
  private readonly running = new Map<string, Promise<RunningFunction>>()

  constructor(
    private readonly runtime: string,
    private readonly sink: Sink,
    readonly target: Target = 'process',
  ) {}

  private key(fn: string, env: Record<string, string>): string {
    return JSON.stringify([fn, Object.entries(env).sort()])
  }

  get(fn: string, env: Record<string, string>): Promise<RunningFunction> {
    const key = this.key(fn, env)
    let started = this.running.get(key)
    if (!started) {
      const resolvedEnv: Record<string, string> = {}
      for (const [name, value] of Object.entries(env)) resolvedEnv[name] = value.split('${SINK_URL}').join(this.sink.url)
      started = launcher(this.runtime, this.target)({ functionDir: join(FUNCTIONS_DIR, fn), env: resolvedEnv })
      started.catch(() => this.running.delete(key))
      this.running.set(key, started)
    }
    return started
  }

  /** Forgets a process that ended (by design or not) so the next use starts a fresh one. */
  async replace(fn: string, env: Record<string, string>): Promise<RunningFunction> {
    const key = this.key(fn, env)
    const old = this.running.get(key)
    this.running.delete(key)
    if (old) await (await old.catch(() => undefined))?.stop()
    return this.get(fn, env)
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()]
    this.running.clear()
    await Promise.all(all.map(async (started) => (await started.catch(() => undefined))?.stop()))
  }
}

export interface RowResult {
  problems: string[]
  /** Facts worth printing even on success (timings, restarts). */
  notes: string[]
  skipped?: string
}

/** GET /healthz must answer OK, and the function's normal call must answer 200. */
async function healthProblems(fn: RunningFunction, spec: FunctionSpec): Promise<string[]> {
  const problems = outcomeProblems({ status: 200, body: 'OK' }, await send(fn.url, { path: '/healthz' }, 5000)).map((p) => `afterwards GET /healthz: ${p}`)
  if (spec.normalCall) problems.push(...outcomeProblems({ status: 200 }, await send(fn.url, spec.normalCall, 5000)).map((p) => `afterwards normal call: ${p}`))
  return problems
}

async function exitedWithin(fn: RunningFunction, ms: number): Promise<number | null | 'running'> {
  return Promise.race([fn.exited, sleep(ms).then(() => 'running' as const)])
}

async function runBody(row: Row, expect: Expect, fn: RunningFunction, spec: FunctionSpec, sink: Sink): Promise<RowResult> {
  const notes: string[] = []
  const problems: string[] = []
  const before = expect.metrics ? await metricsSnapshot(fn.url) : undefined
  const sinkSeen = sink.received.length
  const started = Date.now()
  switch (row.kind) {
    case 'request':
      problems.push(...outcomeProblems(expect, await send(fn.url, row.request)))
      break
    case 'sequence':
      for (const [i, step] of row.steps.entries()) {
        problems.push(...outcomeProblems(step.expect ?? {}, await send(fn.url, step.request)).map((p) => `step ${i + 1}: ${p}`))
      }
      break
    case 'concurrent': {
      const outcomes = await Promise.all(Array.from({ length: row.count }, () => send(fn.url, row.request, 30000)))
      const { withinMs, ...each } = expect
      const failing = outcomes.map((outcome) => outcomeProblems(each, outcome)).filter((p) => p.length)
      if (failing.length) problems.push(`${failing.length} of ${row.count} requests failed; first: ${failing[0].join('; ')}`)
      const took = Date.now() - started
      notes.push(`${row.count} concurrent requests took ${took} ms`)
      if (withinMs !== undefined && took > withinMs) problems.push(`${row.count} concurrent requests took ${took} ms, limit ${withinMs} ms`)
      break
    }
    case 'signal': {
      const { name, afterMs } = row.signal as NonNullable<Row['signal']>
      const inFlight = send(fn.url, row.request)
      await sleep(afterMs)
      fn.signal(name)
      if (expect.refusesNew) {
        await sleep(100)
        const late = await send(fn.url, spec.normalCall ?? {}, 2000)
        if ('response' in late) problems.push(`a call made after ${name} was still answered (${late.response.status})`)
      }
      const forRequest: Expect = { ...expect }
      delete forRequest.exitCode
      delete forRequest.refusesNew
      problems.push(...outcomeProblems(forRequest, await inFlight).map((p) => `the call in flight during ${name}: ${p}`))
      const code = await exitedWithin(fn, 10000)
      if (expect.exitCode !== undefined && code !== expect.exitCode) {
        problems.push(`after ${name} the process should exit with ${expect.exitCode}, ${code === 'running' ? 'it is still running' : `it exited with ${code}`}`)
      }
      break
    }
    case 'raw': {
      const raw = row.raw as NonNullable<Row['raw']>
      const meanwhile = async () => {
        if (!expect.servesMeanwhile || !spec.normalCall) return
        const outcome = await send(fn.url, spec.normalCall, 5000)
        problems.push(...outcomeProblems({ status: 200, withinMs: 2000 }, outcome).map((p) => `normal call while connections were held: ${p}`))
      }
      const { statuses } = await sendRaw(fn.url, raw, meanwhile)
      if (expect.status !== undefined) {
        const allowed = Array.isArray(expect.status) ? expect.status : [expect.status]
        const wrong = statuses.filter((status) => status === null || !allowed.includes(status))
        if (wrong.length) problems.push(`raw connections answered ${JSON.stringify(statuses)}, expected ${allowed.join(' or ')}`)
      }
      if (expect.noResponse && statuses.some((status) => status !== null)) problems.push(`expected no response, got ${JSON.stringify(statuses)}`)
      break
    }
  }
  if (before && expect.metrics) {
    const after = await metricsSnapshot(fn.url)
    for (const [sample, delta] of Object.entries(expect.metrics)) {
      const change = (after.get(sample) ?? 0) - (before.get(sample) ?? 0)
      if (!after.has(sample) && delta !== 0) problems.push(`metric ${sample} missing from /metrics`)
      else if (change !== delta) problems.push(`metric ${sample} should rise by ${delta}, rose by ${change}`)
    }
  }
  if (expect.sink) {
    const deadline = Date.now() + 3000
    while (sink.received.length === sinkSeen && Date.now() < deadline) await sleep(20)
    const last = sink.received[sink.received.length - 1]
    if (sink.received.length === sinkSeen || !last) problems.push('nothing arrived at the loopback sink')
    else {
      problems.push(...headerProblems(expect.sink.headers, last.headers).map((p) => `published request: ${p}`))
      for (const part of list(expect.sink.contains))
        if (!last.body.includes(part)) problems.push(`published body should contain ${JSON.stringify(part)}, is ${JSON.stringify(last.body.slice(0, 300))}`)
      if (expect.sink.json !== undefined) {
        try {
          problems.push(...subsetMismatches(expect.sink.json, JSON.parse(last.body)).map((p) => `published body: ${p}`))
        } catch {
          problems.push(`published body is not JSON: ${JSON.stringify(last.body.slice(0, 200))}`)
        }
      }
    }
  }
  return { problems, notes }
}

/**
 * Runs one row against one runtime, then proves the function still serves: /healthz and its normal call answer,
 * after a restart when the row ends the process by design. A process that died without the row saying so fails
 * the row and is restarted, so the remaining rows still run.
 */
export async function runRow(table: Table, row: Row, runtime: string, pool: FunctionPool, sink: Sink): Promise<RowResult> {
  const { expect, exits, skip } = forRuntime(row, runtime, pool.target)
  if (skip) return { problems: [], notes: [], skipped: skip }
  const spec = table.functions[row.function]
  let fn = await pool.get(row.function, row.env)
  const result = await runBody(row, expect, fn, spec, sink)
  if (exits) {
    const exitCode = await exitedWithin(fn, 5000)
    if (exitCode === 'running') result.problems.push('the process should have exited after this row, it is still running')
    else result.notes.push(`process exited with ${exitCode} as expected; restarted`)
    fn = await pool.replace(row.function, row.env)
    result.problems.push(...(await healthProblems(fn, spec)))
    return result
  }
  const health = await healthProblems(fn, spec)
  result.problems.push(...health)
  const exitCode = await exitedWithin(fn, health.length ? 500 : 0)
  if (exitCode !== 'running') {
    result.problems.push(`the process exited (code ${exitCode}) though this row does not end it; output:\n${fn.output().slice(-2000)}`)
    await pool.replace(row.function, row.env)
  }
  return result
}
