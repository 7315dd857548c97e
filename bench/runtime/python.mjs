// The Python host against a bare WSGI hello on the same waitress settings and the same interpreter, per runtime:
// wrk req/s and p99 for GET at 1 and 50 connections, and cold start (spawn → first 200 from the function).
// Prints numbers and ratios; targets (issue 4): req/s ≥ 0.7× raw WSGI, cold start ≤ 300 ms.
// Usage: node bench/runtime/python.mjs [python38,python312] [seconds per run]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const { freePort, preparePythonRuntime } = require(join(here, '..', '..', 'testkit', 'dist', 'index.js'))

const runtimes = (process.argv[2] || 'python38,python312').split(',')
const seconds = Number(process.argv[3] || 5)
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
  const child = spawn(command, args, { env: { ...env, FUNC_PORT: String(port) }, stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}/`
  const coldMs = await firstOk(url, began, child)
  return { url, coldMs, stop: () => child.kill('SIGKILL') }
}

function wrk(url, connections) {
  const out = execFileSync('wrk', ['-t', connections > 1 ? '2' : '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', url], { encoding: 'utf8' })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1])
  const [, value, unit] = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99Ms = Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit]
  return { rps, p99Ms }
}

const fmt = (n, digits = 0) => n.toFixed(digits).padStart(8)

try {
  for (const runtime of runtimes) {
    const rt = await preparePythonRuntime(runtime)
    const contenders = {
      'raw WSGI': [rt.python, [join(here, 'python-raw-wsgi.py')], rt.env],
      'kless host': [rt.python, rt.args, { ...rt.env, KUBELESS_INSTALL_VOLUME: functionDir, MOD_NAME: 'handler', FUNC_HANDLER: 'main', FUNC_RUNTIME: runtime }],
    }
    const results = {}
    for (const [name, [command, args, env]] of Object.entries(contenders)) {
      const colds = []
      for (let i = 0; i < 3; i++) {
        const server = await serve(command, args, env)
        colds.push(server.coldMs)
        server.stop()
      }
      const server = await serve(command, args, env)
      wrk(server.url, 10) // warm-up
      results[name] = { cold: Math.min(...colds), c1: wrk(server.url, 1), c50: wrk(server.url, 50) }
      server.stop()
    }
    const raw = results['raw WSGI']
    console.log(`\n${runtime} (Python ${rt.version}), GET hello, ${seconds} s per run`)
    console.log('                 c=1 req/s  c=1 p99 ms  c=50 req/s  c=50 p99 ms  cold ms   c=50 ratio  cold ratio')
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name.padEnd(14)} ${fmt(r.c1.rps)}   ${fmt(r.c1.p99Ms, 2)}    ${fmt(r.c50.rps)}    ${fmt(r.c50.p99Ms, 2)}   ${fmt(r.cold)}   ${fmt(r.c50.rps / raw.c50.rps, 2)}x   ${fmt(r.cold / raw.cold, 2)}x`,
      )
    }
  }
} finally {
  rmSync(functionDir, { recursive: true, force: true })
}
