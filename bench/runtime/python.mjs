// The Python host against a bare WSGI hello on the same waitress settings and the same interpreter, per runtime:
// wrk req/s and p99 for GET at 1 and 50 connections, and cold start (spawn → first 200 from the function), each
// the best of three rounds. Each server runs on the last core and wrk on the others, as in the Node bench.
// Prints numbers and ratios; targets: req/s ≥ 0.8× raw WSGI (issue 12), cold start ≤ 300 ms (issue 4).
// Usage: node bench/runtime/python.mjs [runtime,… (default: every Python runtime of the matrix)] [seconds per run]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const { freePort, functionEnv, preparePythonRuntime } = require('@kless/testkit')
const { runtimesOf } = require('@kless/runtime-matrix')
// Built by the bootstrap, with the Node bench.
const { corePinning, ensureWrk } = require('./dist/wrk.js')

const runtimes = process.argv[2] ? process.argv[2].split(',') : runtimesOf('python')
const seconds = Number(process.argv[3] || 3)
const ROUNDS = 3
const pinning = corePinning()
const wrkPath = ensureWrk()
const functionDir = mkdtempSync(join(tmpdir(), 'kless-bench-py-'))
writeFileSync(join(functionDir, 'handler.py'), 'def main(event, context):\n    return "hello"\n')

async function firstOk(url, began, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    try {
      if ((await globalThis.fetch(url)).ok) return performance.now() - began
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function serve(command, args, env) {
  const port = await freePort()
  const began = performance.now()
  // taskset execs the server, so the pid is the server's own (its CPU time is read from it).
  const [program, ...rest] = [...pinning.server, command, ...args]
  const child = spawn(program, rest, { env: { ...env, FUNC_PORT: String(port) }, stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}/`
  const coldMs = await firstOk(url, began, child)
  return { url, coldMs, pid: child.pid, stop: () => child.kill('SIGKILL') }
}

/** CPU seconds (user + system) the process has used: a cost per request that load from other processes does not skew. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function wrk(url, connections) {
  const [program, ...args] = [...pinning.client, wrkPath, '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', url]
  const out = execFileSync(program, args, { encoding: 'utf8' })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1])
  const requests = Number(/(\d+) requests in/.exec(out)[1])
  const [, value, unit] = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99Ms = Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit]
  return { rps, p99Ms, requests }
}

const fmt = (n, digits = 0) => n.toFixed(digits).padStart(8)

console.log(pinning.describe)
try {
  for (const runtime of runtimes) {
    const rt = await preparePythonRuntime(runtime)
    const contenders = {
      'raw WSGI': [rt.python, [join(here, 'python-raw-wsgi.py')], rt.env],
      'kless host': [rt.python, rt.args, { ...rt.env, ...functionEnv(runtime, functionDir) }],
    }
    // Both servers stay up and take turns, best of ROUNDS each: the machine is shared, so load comes and goes.
    const servers = {}
    const results = {}
    for (const [name, [command, args, env]] of Object.entries(contenders)) {
      const colds = []
      for (let i = 0; i < ROUNDS; i++) {
        const server = await serve(command, args, env)
        colds.push(server.coldMs)
        server.stop()
      }
      servers[name] = await serve(command, args, env)
      wrk(servers[name].url, 10) // warm-up
      results[name] = { cold: Math.min(...colds), c1: { rps: 0, p99Ms: Infinity }, c50: { rps: 0, p99Ms: Infinity } }
    }
    const best = (a, b) => ({ rps: Math.max(a.rps, b.rps), p99Ms: Math.min(a.p99Ms, b.p99Ms) })
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, server] of Object.entries(servers)) {
        results[name].c1 = best(results[name].c1, wrk(server.url, 1))
        const cpuBefore = cpuSeconds(server.pid)
        const run = wrk(server.url, 50)
        results[name].cpuUs = Math.min(results[name].cpuUs ?? Infinity, ((cpuSeconds(server.pid) - cpuBefore) / run.requests) * 1e6)
        results[name].c50 = best(results[name].c50, run)
      }
    }
    for (const server of Object.values(servers)) server.stop()
    const raw = results['raw WSGI']
    console.log(`\n${runtime} (Python ${rt.version}), GET hello, best of ${ROUNDS} runs of ${seconds} s`)
    console.log('                 c=1 req/s  c=1 p99 ms  c=50 req/s  c=50 p99 ms  cold ms   CPU µs/req  c=50 ratio  cold ratio  CPU ratio')
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name.padEnd(14)} ${fmt(r.c1.rps)}   ${fmt(r.c1.p99Ms, 2)}    ${fmt(r.c50.rps)}    ${fmt(r.c50.p99Ms, 2)}   ${fmt(r.cold)}   ${fmt(r.cpuUs)}    ${fmt(r.c50.rps / raw.c50.rps, 2)}x   ${fmt(r.cold / raw.cold, 2)}x   ${fmt(raw.cpuUs / r.cpuUs, 2)}x`,
      )
    }
  }
} finally {
  rmSync(functionDir, { recursive: true, force: true })
}
