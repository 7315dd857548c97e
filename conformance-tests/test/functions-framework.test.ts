import { execFile } from 'child_process'
import { mkdtempSync, rmSync } from 'fs'
import { createServer } from 'net'
import { tmpdir } from 'os'
import { join } from 'path'
import t from 'tap'
import { functionEnv, goInstall, NodeRuntimeName, prepareNodeRuntime, preparePythonRuntime, PythonRuntimeName } from '@kless/testkit'
import { selectedRuntimes } from '../src/runtimes'
import { FUNCTIONS_DIR } from '../src/table'

// Google's functions-framework conformance client against every Node and Python runtime, through test functions written for
// main(event, context) (functions/ff-http, functions/ff-cloudevent). The client starts the server itself with -cmd
// and always talks to localhost:8080. Its log lines are the verdicts; they are printed as test comments.
const CLIENT_PACKAGE = 'github.com/GoogleCloudPlatform/functions-framework-conformance/client'
const CLIENT_VERSION = 'v1.8.6'
const PORT = 8080

interface Check {
  type: 'http' | 'cloudevent'
  fn: string
  flags: string[]
  /** Each call waits this long; the client's concurrency check needs ≥ 1 s per call. */
  delayMs: number
}

const CHECKS: Check[] = [
  { type: 'http', fn: 'ff-http', flags: [], delayMs: 0 },
  { type: 'http', fn: 'ff-http', flags: ['-validate-concurrency'], delayMs: 1000 },
  { type: 'cloudevent', fn: 'ff-cloudevent', flags: ['-validate-mapping=false'], delayMs: 0 },
  { type: 'cloudevent', fn: 'ff-cloudevent', flags: ['-validate-mapping=false', '-validate-concurrency'], delayMs: 1000 },
]

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

function runClient(client: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; log: string }> {
  return new Promise((resolve) => {
    execFile(client, args, { env, cwd, timeout: 180000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0
      resolve({ code, log: `${stdout}${stderr}` })
    })
  })
}

/** The command line that starts a runtime's host, for the client's -cmd. */
async function hostCommand(runtime: string): Promise<{ command: string; args: string[]; env: Record<string, string> }> {
  if (runtime.startsWith('python')) {
    const rt = await preparePythonRuntime(runtime as PythonRuntimeName)
    return { command: rt.python, args: rt.args, env: rt.env }
  }
  const rt = await prepareNodeRuntime(runtime as NodeRuntimeName)
  return { command: rt.node, args: rt.args, env: rt.env }
}

t.test('functions-framework conformance client', async (t) => {
  let client: string
  try {
    client = await goInstall(CLIENT_PACKAGE, CLIENT_VERSION, 'client')
  } catch (err) {
    const reason =
      String((err as Error).message)
        .split('\n')
        .find((line) => /403|not available|error|cannot/i.test(line)) ?? String(err)
    t.comment(`could not build ${CLIENT_PACKAGE}@${CLIENT_VERSION}: ${reason.trim()}`)
    t.skip(`the conformance client could not be built here (see docs/conformance.md): ${reason.trim()}`)
    return
  }
  const hostRuntimes = selectedRuntimes().filter((name) => /^(nodejs|python)/.test(name))
  for (const runtime of hostRuntimes) {
    await t.test(runtime, async (t) => {
      const rt = await hostCommand(runtime)
      for (const check of CHECKS) {
        const label = `${check.type}${check.flags.includes('-validate-concurrency') ? ' concurrency' : ''}`
        await t.test(label, async (t) => {
          if (!(await portFree(PORT))) return t.fail(`port ${PORT} is taken; the client only talks to localhost:${PORT}`)
          const cwd = mkdtempSync(join(tmpdir(), 'kless-ff-'))
          t.teardown(() => rmSync(cwd, { recursive: true, force: true }))
          const env = {
            ...rt.env,
            ...functionEnv(runtime, join(FUNCTIONS_DIR, check.fn)),
            FUNC_PORT: String(PORT),
            CONFORMANCE_DELAY_MS: String(check.delayMs),
          }
          const args = [`-cmd=${[rt.command, ...rt.args].join(' ')}`, `-type=${check.type}`, '-buildpacks=false', '-start-delay=2', ...check.flags]
          const { code, log } = await runClient(client, args, env, cwd)
          for (const line of log.split('\n').filter((line) => /validation|passed|fail|error/i.test(line))) t.comment(`${runtime} ${label}: ${line}`)
          t.equal(code, 0, `${runtime} passes the ${label} conformance check`)
        })
      }
    })
  }
})
