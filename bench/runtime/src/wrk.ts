import { execFile, execFileSync } from 'child_process'
import { cpus } from 'os'
import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'

export interface Load {
  connections: number
  durationSeconds: number
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Non-2xx responses plus socket errors; a benchmark with errors measured something else. */
  errors: number
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000 }

function toMs(value: string, unit: string): number {
  const factor = UNITS[unit]
  if (factor === undefined) throw new Error(`wrk printed a latency in an unknown unit "${unit}"`)
  return Number(value) * factor
}

/** Reads the figures out of `wrk --latency` output. */
export function parseWrk(output: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(output)
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(output)
  if (!rps || !p50 || !p99) throw new Error(`unexpected wrk output:\n${output}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1], p50[2]),
    p99Ms: toMs(p99[1], p99[2]),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  }
}

/** wrk from the distribution's package; installed on first use when we may (root), otherwise a clear request. */
export function ensureWrk(): string {
  const find = () => {
    try {
      return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim()
    } catch {
      return ''
    }
  }
  let wrk = find()
  if (wrk) return wrk
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs wrk: install it with `sudo apt-get install -y wrk`')
  console.error('bench: installing wrk with apt-get…')
  execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], { stdio: 'inherit' })
  wrk = find()
  if (!wrk) throw new Error('apt-get did not install wrk')
  return wrk
}

/** Command prefixes that keep the server and the load generator on cores of their own, as the targets were measured. */
export interface Pinning {
  server: string[]
  client: string[]
  describe: string
}

/** The server on the last core and wrk on the others, with taskset; nothing on a one-core machine or without it. */
export function corePinning(): Pinning {
  const cores = cpus().length
  let taskset = ''
  try {
    taskset = execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).trim()
  } catch {
    // util-linux is missing: the figures are taken unpinned and say so.
  }
  if (cores < 2 || !taskset) return { server: [], client: [], describe: 'server and wrk unpinned' }
  const clientCores = cores === 2 ? '0' : `0-${cores - 2}`
  return {
    server: [taskset, '-c', String(cores - 1)],
    client: [taskset, '-c', clientCores],
    describe: `server pinned to core ${cores - 1}, wrk to ${cores === 2 ? 'core' : 'cores'} ${clientCores}`,
  }
}

function luaString(value: string): string {
  return JSON.stringify(value)
}

/** Runs wrk (`command`: its path after any pinning prefix) with one thread and returns its figures. */
export function runWrk(command: string[], url: string, load: Load): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kless-wrk-'))
  const script = join(dir, 'request.lua')
  const lines = [`wrk.method = ${luaString(load.method)}`]
  for (const [name, value] of Object.entries(load.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`)
  if (load.body !== undefined) lines.push(`wrk.body = ${luaString(load.body)}`)
  writeFileSync(script, `${lines.join('\n')}\n`)
  const args = ['-t1', `-c${load.connections}`, `-d${load.durationSeconds}s`, '--latency', '-s', script, url]
  return new Promise((resolve, reject) => {
    execFile(command[0], [...command.slice(1), ...args], { timeout: (load.durationSeconds + 30) * 1000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true })
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}`))
      try {
        resolve(parseWrk(stdout))
      } catch (parseError) {
        reject(parseError)
      }
    })
  })
}
