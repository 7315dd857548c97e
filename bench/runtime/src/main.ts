import { freePort, functionEnv, NodeRuntimeName, NODE_VERSIONS, prepareNodeRuntime, start, Started } from '@kless/testkit'
import { readFileSync } from 'fs'
import { get } from 'http'
import { cpus, loadavg } from 'os'
import { dirname, join } from 'path'
import { corePinning, ensureWrk, Load, LoadResult, Pinning, runWrk } from './wrk'

// Our Node host against a raw node:http server and a plain Express 4 app, all on the same pinned Node binary,
// one after another in one run. Prints each figure and its ratio to raw node:http, and checks the targets.
//
//   node bench/runtime/dist/main.js [--runtime <name>,… | --all] [--duration 4] [--rounds 3] [--markdown]
//
// The runtimes are the Node runtimes of runtimes/matrix/matrix.json; without --runtime, the newest of them.

interface Options {
  runtimes: NodeRuntimeName[]
  durationSeconds: number
  rounds: number
  markdown: boolean
}

const USAGE = `usage: main.js [--runtime ${Object.keys(NODE_VERSIONS).join(',')} | --all] [--duration 4] [--rounds 3] [--markdown]`
const NEWEST = Object.keys(NODE_VERSIONS).sort((a, b) => NODE_VERSIONS[b].localeCompare(NODE_VERSIONS[a], 'en', { numeric: true }))[0]

function parseArgs(argv: string[]): Options {
  const options: Options = { runtimes: [NEWEST], durationSeconds: 4, rounds: 3, markdown: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--all') options.runtimes = Object.keys(NODE_VERSIONS)
    else if (arg === '--markdown') options.markdown = true
    else if (arg === '--runtime') {
      const names = (argv[++i] ?? '').split(',')
      for (const name of names)
        if (!Object.keys(NODE_VERSIONS).includes(name)) throw new Error(`--runtime: unknown runtime "${name}"; known: ${Object.keys(NODE_VERSIONS).join(', ')}`)
      options.runtimes = names
    } else if (arg === '--duration') {
      const seconds = Number(argv[++i])
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new Error('--duration takes whole seconds from 1 to 60')
      options.durationSeconds = seconds
    } else if (arg === '--rounds') {
      const rounds = Number(argv[++i])
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error('--rounds takes a whole number from 1 to 10')
      options.rounds = rounds
    } else throw new Error(`unknown argument "${arg}"; ${USAGE}`)
  }
  return options
}

const HERE = join(__dirname, '..')
const COLD_START_RUNS = 7

/** A 1 KB JSON body, sent as a binary-mode CloudEvent. */
function cloudEventLoad(connections: number, durationSeconds: number): Load {
  const items = []
  while (JSON.stringify({ orderCode: '3211213', items }).length < 1000) items.push({ sku: `sku-${items.length}`, qty: items.length % 5 })
  return {
    connections,
    durationSeconds,
    method: 'POST',
    body: JSON.stringify({ orderCode: '3211213', items }),
    headers: {
      'Content-Type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'order.created',
      'ce-source': '/bench',
      'ce-id': 'A234-1234-1234',
      'ce-eventtypeversion': 'v1',
    },
  }
}

interface Contender {
  name: string
  command: string
  args: string[]
  env: Record<string, string>
}

function firstOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on('error', () => resolve(false))
  })
}

// Servers still running, stopped if the benchmark itself is interrupted.
const live = new Set<Started>()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const server of live) server.child.kill('SIGKILL')
    process.exit(130)
  })
}

/** Spawns the server and resolves once GET / answers 200, with the time that took. */
async function launch(contender: Contender, pinning: Pinning): Promise<{ server: Started; url: string; coldStartMs: number }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const began = process.hrtime.bigint()
  const [command, ...args] = [...pinning.server, contender.command, ...contender.args]
  // taskset execs the server, so the pid is the server's own (its RSS is read from it).
  const server = start(command, args, { env: { ...contender.env, FUNC_PORT: String(port) } })
  live.add(server)
  server.exited.then(() => live.delete(server))
  const deadline = Date.now() + 30000
  while (!(await firstOk(url))) {
    if (server.child.exitCode !== null || Date.now() > deadline) {
      await server.stop(1000)
      throw new Error(`${contender.name} did not answer GET / within 30 s:\n${server.output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return { server, url, coldStartMs: Number(process.hrtime.bigint() - began) / 1e6 }
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) / 1024
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

interface Figures {
  coldStartMs: number
  rssMb: number
  loads: Record<string, LoadResult>
}

const LOADS: Array<[string, (durationSeconds: number) => Load]> = [
  ['GET c=1', (d) => ({ connections: 1, durationSeconds: d, method: 'GET' })],
  ['GET c=50', (d) => ({ connections: 50, durationSeconds: d, method: 'GET' })],
  ['CE POST c=1', (d) => cloudEventLoad(1, d)],
  ['CE POST c=50', (d) => cloudEventLoad(50, d)],
]

/** The better of two results of the same load: on a shared machine, the slower run measured someone else. */
function better(a: LoadResult | undefined, b: LoadResult): LoadResult {
  if (!a) return b
  return {
    requestsPerSecond: Math.max(a.requestsPerSecond, b.requestsPerSecond),
    p50Ms: Math.min(a.p50Ms, b.p50Ms),
    p99Ms: Math.min(a.p99Ms, b.p99Ms),
    errors: a.errors + b.errors,
  }
}

/** The contenders' indexes in round `round`: each round starts one place further on. */
function rotation(count: number, round: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + round) % count)
}

/**
 * Measures the contenders interleaved — cold starts in turn, then in each round fresh servers, each load on each
 * server back to back, keeping the best — so a burst of other work on the machine hits all of them alike. Each round
 * starts and measures the servers in a rotated order: three identical hosts kept for the whole run measured 20–25 %
 * apart, always the same one slow, so no contender may keep one place or one process.
 */
async function measureAll(wrk: string[], contenders: Contender[], options: Options, pinning: Pinning): Promise<Figures[]> {
  const coldStarts: number[][] = contenders.map(() => [])
  for (let i = 0; i < COLD_START_RUNS; i++) {
    for (const [index, contender] of contenders.entries()) {
      const { server, coldStartMs } = await launch(contender, pinning)
      coldStarts[index].push(coldStartMs)
      await server.stop()
    }
  }
  const loads: Array<Record<string, LoadResult>> = contenders.map(() => ({}))
  const rss: number[] = []
  for (let round = 0; round < options.rounds; round++) {
    // In the round's order: the contender's index, its server and its URL.
    const servers: Array<{ index: number; server: Started; url: string }> = []
    try {
      for (const index of rotation(contenders.length, round)) servers.push({ index, ...(await launch(contenders[index], pinning)) })
      for (const { url } of servers) {
        await runWrk(wrk, url, { connections: 50, durationSeconds: 2, method: 'GET' })
        await runWrk(wrk, url, cloudEventLoad(50, 2))
      }
      for (const [name, load] of LOADS) {
        for (const { index, server, url } of servers) {
          const result = await runWrk(wrk, url, load(options.durationSeconds))
          if (result.errors) throw new Error(`${contenders[index].name} ${name}: ${result.errors} failed requests; output:\n${server.output().slice(-2000)}`)
          loads[index][name] = better(loads[index][name], result)
        }
      }
      for (const { index, server } of servers) rss[index] = rssMb(server.child.pid as number)
    } finally {
      await Promise.all(servers.map(({ server }) => server.stop()))
    }
  }
  return contenders.map((_, index) => ({ coldStartMs: median(coldStarts[index]), rssMb: rss[index], loads: loads[index] }))
}

interface Row {
  metric: string
  values: number[]
  unit: string
  /** How the host's figure must relate to raw node:http, or an absolute bound. */
  target?: { ratioAtLeast?: number; ratioAtMost?: number; atMost?: number }
}

function rowsOf(figures: Figures[]): Row[] {
  const rows: Row[] = []
  for (const [name] of LOADS) {
    const throughputTarget = name.endsWith('c=50') ? { ratioAtLeast: 0.8 } : undefined
    rows.push({ metric: `${name} req/s`, values: figures.map((f) => f.loads[name].requestsPerSecond), unit: '', target: throughputTarget })
    rows.push({ metric: `${name} p99`, values: figures.map((f) => f.loads[name].p99Ms), unit: 'ms', target: { ratioAtMost: 1.5 } })
  }
  rows.push({ metric: 'cold start (spawn → first 200)', values: figures.map((f) => f.coldStartMs), unit: 'ms', target: { ratioAtMost: 1.5 } })
  rows.push({ metric: 'RSS after warm-up', values: figures.map((f) => f.rssMb), unit: 'MB', target: { atMost: 80 } })
  return rows
}

function verdict(row: Row): string {
  const [raw, , host] = row.values
  const ratio = host / raw
  const { target } = row
  if (!target) return ''
  if (target.ratioAtLeast !== undefined) return ratio >= target.ratioAtLeast ? `ok (≥ ${target.ratioAtLeast}×)` : `MISSED (≥ ${target.ratioAtLeast}×)`
  if (target.ratioAtMost !== undefined) return ratio <= target.ratioAtMost ? `ok (≤ ${target.ratioAtMost}×)` : `MISSED (≤ ${target.ratioAtMost}×)`
  return host <= (target.atMost as number) ? `ok (≤ ${target.atMost} ${row.unit})` : `MISSED (≤ ${target.atMost} ${row.unit})`
}

function format(value: number, unit: string): string {
  const digits = unit === 'ms' && value < 10 ? 2 : unit === 'MB' || unit === 'ms' ? 1 : 0
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`
}

function print(title: string, names: string[], rows: Row[], markdown: boolean): void {
  const header = ['metric', ...names.map((name, i) => (i === 0 ? name : `${name} (× raw)`)), 'target']
  const lines = rows.map((row) => [
    row.metric,
    ...row.values.map((value, i) => (i === 0 ? format(value, row.unit) : `${format(value, row.unit)} (${(value / row.values[0]).toFixed(2)}×)`)),
    verdict(row),
  ])
  console.log(`\n${title}`)
  if (markdown) {
    console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`)
    for (const line of lines) console.log(`| ${line.join(' | ')} |`)
    return
  }
  const widths = header.map((_, col) => Math.max(...[header, ...lines].map((line) => line[col].length)))
  for (const line of [header, ...lines]) console.log(line.map((cell, col) => cell.padEnd(widths[col])).join('  '))
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const pinning = corePinning()
  const wrk = [...pinning.client, ensureWrk()]
  console.log(
    `bench/runtime: wrk -t1, ${options.durationSeconds} s per figure, best of ${options.rounds} interleaved rounds, ${cpus().length} cores (${pinning.describe}), load average ${loadavg()[0].toFixed(2)} at start`,
  )
  let missed = 0
  for (const runtime of options.runtimes) {
    const rt = await prepareNodeRuntime(runtime)
    // The staged runtime keeps its pinned dependencies (express among them) next to the host build.
    const runtimeModules = join(dirname(dirname(rt.args[0])), 'node_modules')
    const contenders: Contender[] = [
      { name: 'raw node:http', command: rt.node, args: [join(HERE, 'servers', 'raw-http.js')], env: rt.env },
      { name: 'express 4', command: rt.node, args: [join(HERE, 'servers', 'express.js')], env: { ...rt.env, NODE_PATH: runtimeModules } },
      {
        name: 'kless host',
        command: rt.node,
        args: rt.args,
        env: { ...rt.env, ...functionEnv(runtime, join(HERE, 'functions', 'hello')) },
      },
    ]
    console.error(`bench: ${runtime}…`)
    const figures = await measureAll(wrk, contenders, options, pinning)
    const rows = rowsOf(figures)
    missed += rows.filter((row) => verdict(row).startsWith('MISSED')).length
    print(
      `${runtime} (Node ${rt.version})`,
      contenders.map((c) => c.name),
      rows,
      options.markdown,
    )
  }
  console.log(`\nload average ${loadavg()[0].toFixed(2)} at the end; figures from a machine busy with other work are not comparable`)
  console.log(missed ? `${missed} target(s) missed` : 'all targets met')
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
