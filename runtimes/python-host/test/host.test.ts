// The Python host as a real process on the real 3.8 and 3.12 interpreters: start-up failures, configuration,
// the timeout and runaway cap, SIGTERM draining, and the Python 3.8 language level of the host's code.
// The HTTP contract itself is in the shared conformance table (conformance-tests/).
import { connect } from 'net'
import { join } from 'path'
import t from 'tap'
import { Started, verminTool, waitFor } from '@kless/testkit'
import { CATALOGUE } from '../../node-host/src/failures'
import { hostDir, launch, pythonCatalogue, run, RUNTIMES, serving } from './host'

const SLEEPY = `
import time

def main(event, context):
    seconds = float(event['extensions']['request'].query.get('sleep', '0'))
    time.sleep(seconds)
    return 'slept {}'.format(seconds)
`

async function exitCode(host: Started): Promise<number | null> {
  const timer = setTimeout(() => host.child.kill('SIGKILL'), 10000)
  const code = await host.exited
  clearTimeout(timer)
  return code
}

for (const runtime of RUNTIMES) {
  t.test(`${runtime}: start-up failures exit non-zero before listening, naming the problem`, async (t) => {
    const cases: Array<{ name: string; files: Record<string, string>; env?: Record<string, string>; message: RegExp }> = [
      { name: 'no module file', files: {}, message: /function module not found: .*handler\.py/ },
      {
        name: 'syntax error',
        files: { 'handler.py': 'def main(event, context)\n  return 1\n' },
        message: /cannot import function module 'handler'.*SyntaxError/,
      },
      {
        name: 'import raises',
        files: { 'handler.py': 'import not_installed_anywhere\n' },
        message: /cannot import function module 'handler'.*ModuleNotFoundError/,
      },
      { name: 'exit while importing', files: { 'handler.py': 'import sys\nsys.exit(0)\n' }, message: /cannot import function module 'handler'.*SystemExit/ },
      { name: 'missing handler', files: { 'handler.py': 'def other(event, context):\n    return 1\n' }, message: /has no 'main' \(FUNC_HANDLER\)/ },
      { name: 'handler not callable', files: { 'handler.py': 'main = 42\n' }, message: /handler\.main is a int, not a function/ },
      {
        name: 'reserved module name',
        files: { 'kubeless.py': 'def main(e, c):\n    return 1\n' },
        env: { MOD_NAME: 'kubeless' },
        message: /MOD_NAME='kubeless' is reserved/,
      },
      {
        name: 'module shadowed by the standard library',
        files: { 'json.py': 'def main(e, c):\n    return 1\n' },
        env: { MOD_NAME: 'json' },
        message: /MOD_NAME='json' names a module that already exists/,
      },
      {
        name: 'bad timeout',
        files: { 'handler.py': SLEEPY },
        env: { FUNC_TIMEOUT: 'abc' },
        message: /FUNC_TIMEOUT='abc' is not valid: expected a positive number of seconds/,
      },
      { name: 'zero timeout', files: { 'handler.py': SLEEPY }, env: { FUNC_TIMEOUT: '0' }, message: /FUNC_TIMEOUT='0' is not valid/ },
      { name: 'bad port', files: { 'handler.py': SLEEPY }, env: { FUNC_PORT: '99999' }, message: /FUNC_PORT='99999' is not valid: expected a TCP port/ },
      { name: 'bad thread count', files: { 'handler.py': SLEEPY }, env: { CHERRYPY_NUMTHREADS: 'many' }, message: /CHERRYPY_NUMTHREADS='many' is not valid/ },
      { name: 'bad memfile max', files: { 'handler.py': SLEEPY }, env: { FUNC_MEMFILE_MAX: '-1' }, message: /FUNC_MEMFILE_MAX='-1' is not valid/ },
      { name: 'bad handler name', files: { 'handler.py': SLEEPY }, env: { FUNC_HANDLER: 'no-such' }, message: /FUNC_HANDLER='no-such' is not valid/ },
    ]
    for (const c of cases) {
      const { host } = await launch(runtime, c.files, c.env)
      t.equal(await exitCode(host), 1, `${c.name}: exit code`)
      t.match(host.output(), c.message, `${c.name}: message`)
      t.match(host.output(), /^kless: /m, `${c.name}: one line says what to fix`)
    }
  })

  t.test(`${runtime}: configuration reaches the function and the server`, async (t) => {
    const { host, url } = await serving(
      runtime,
      { 'handler.py': 'def main(event, context):\n    return context\n' },
      { FUNC_TIMEOUT: '7.5', FUNC_MEMORY_LIMIT: '128Mi', KYMA_INTERNAL_LOGGER_ENABLED: 'false' },
    )
    t.same(await (await fetch(`${url}/logged?x=1`)).json(), { 'function-name': 'main', timeout: 7.5, runtime, 'memory-limit': '128Mi' })
    await waitFor(
      async () => /"GET \/logged\?x=1 HTTP\/1\.1" 200 \d+ "-" "/.test(host.output()),
      2000,
      () => `an access log line in:\n${host.output()}`,
    )
    t.pass('any KYMA_INTERNAL_LOGGER_ENABLED value, even "false", turns on the combined access log, as in Kyma')
  })

  t.test(`${runtime}: the function's requirements.txt is installed and importable`, async (t) => {
    const { url } = await serving(runtime, {
      'requirements.txt': 'six==1.16.0\n',
      'handler.py': 'import six\n\ndef main(event, context):\n    return six.__version__\n',
    })
    t.equal(await (await fetch(url)).text(), '1.16.0')
  })

  t.test(`${runtime}: FUNC_THREADS (or CHERRYPY_NUMTHREADS) bounds concurrent calls`, async (t) => {
    const elapsed = async (env: Record<string, string>) => {
      const { url } = await serving(runtime, { 'handler.py': SLEEPY }, env)
      const began = Date.now()
      const bodies = await Promise.all([1, 2, 3, 4].map(() => fetch(`${url}/?sleep=0.4`).then((r) => r.text())))
      t.same(bodies, Array(4).fill('slept 0.4'))
      return Date.now() - began
    }
    t.ok((await elapsed({ CHERRYPY_NUMTHREADS: '2' })) >= 800, 'two threads run four 0.4 s calls in two rounds')
    t.ok((await elapsed({ CHERRYPY_NUMTHREADS: '2', FUNC_THREADS: '4' })) < 750, 'FUNC_THREADS wins and four threads run them at once')
  })

  t.test(`${runtime}: calls served by many threads at once are each counted once in /metrics`, async (t) => {
    const { url } = await serving(runtime, { 'handler.py': SLEEPY }, { FUNC_THREADS: '8' })
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => fetch(`${url}/?sleep=0.00${i % 5}`, { method: i % 4 ? 'GET' : 'POST' }).then((r) => r.status)),
    )
    t.same(new Set(statuses), new Set([200]))
    const metrics = await (await fetch(`${url}/metrics`)).text()
    t.match(metrics, /function_calls_total\{method="handler-GET"\} 150\.0/)
    t.match(metrics, /function_calls_total\{method="handler-POST"\} 50\.0/)
    t.match(metrics, /function_duration_seconds_count\{method="handler-GET"\} 150\.0/)
    t.match(metrics, /function_duration_seconds_bucket\{le="\+Inf",method="handler-POST"\} 50\.0/)
    t.match(metrics, /function_failures_total\{method="handler-GET"\} 0\.0/)
  })

  t.test(`${runtime}: FUNC_TIMEOUT answers 408 and runaway calls are capped by FUNC_RUNAWAY_LIMIT`, async (t) => {
    const { url } = await serving(runtime, { 'handler.py': SLEEPY }, { FUNC_TIMEOUT: '0.3', FUNC_RUNAWAY_LIMIT: '2' })
    const began = Date.now()
    const timedOut = await Promise.all([fetch(`${url}/?sleep=2`), fetch(`${url}/?sleep=2`)])
    t.same(
      timedOut.map((r) => r.status),
      [408, 408],
    )
    t.ok(Date.now() - began < 1500, 'the 408 comes at the timeout, not when the call ends')
    // The runaway keeps its thread, so the connection closes; saying so keeps clients from reusing it.
    t.same(
      timedOut.map((r) => r.headers.get('connection')),
      ['close', 'close'],
      'the 408 says Connection: close',
    )
    t.match(await timedOut[0].text(), /Timeout while processing the function/)
    const refused = await fetch(`${url}/?sleep=0`)
    t.equal(refused.status, 503, 'no new call while two runaways are alive')
    t.match(await refused.text(), /2 function calls are still running past FUNC_TIMEOUT/)
    t.equal((await fetch(`${url}/healthz`)).status, 503, '/healthz fails so Kubernetes restarts a pod that stays stuck')
    await waitFor(
      async () => (await fetch(`${url}/healthz`)).ok,
      5000,
      () => 'the runaways to finish',
    )
    const after = await fetch(`${url}/?sleep=0`)
    t.equal(await after.text(), 'slept 0.0', 'calls run again once the runaways have finished')
    const metrics = await (await fetch(`${url}/metrics`)).text()
    t.match(metrics, /function_failures_total\{method="handler-GET"\} 3\.0/, 'timeouts and refusals count as failures')
  })

  t.test(`${runtime}: a runaway call keeps its thread, and a new thread serves the next calls`, async (t) => {
    const { url } = await serving(runtime, { 'handler.py': SLEEPY }, { FUNC_THREADS: '1', FUNC_TIMEOUT: '0.3', FUNC_RUNAWAY_LIMIT: '2' })
    t.equal((await fetch(`${url}/?sleep=3`)).status, 408)
    const began = Date.now()
    t.equal(await (await fetch(`${url}/?sleep=0`)).text(), 'slept 0.0')
    t.ok(Date.now() - began < 1000, 'the call did not wait for the runaway to end')
  })

  t.test(`${runtime}: /healthz and /metrics answer while every call thread is busy`, async (t) => {
    const { url } = await serving(runtime, { 'handler.py': SLEEPY }, { FUNC_THREADS: '1' })
    const busy = fetch(`${url}/?sleep=2`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const began = Date.now()
    t.equal((await fetch(`${url}/healthz`)).status, 200)
    t.match(await (await fetch(`${url}/metrics`)).text(), /function_calls_total\{method="handler-GET"\} 1\.0/)
    t.ok(Date.now() - began < 1000, 'neither waited for the call in progress')
    t.equal(await (await busy).text(), 'slept 2.0')
  })

  t.test(`${runtime}: SIGTERM refuses new connections, lets calls in progress finish, then exits 0`, async (t) => {
    const { host, url } = await serving(runtime, { 'handler.py': SLEEPY })
    const inFlight = fetch(`${url}/?sleep=0.8`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    host.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1')
      socket.on('connect', () => (socket.destroy(), resolve('connected')))
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    })
    t.equal(refused, 'ECONNREFUSED', 'a new connection is refused at once')
    const answer = await inFlight
    t.equal(answer.status, 200)
    t.equal(await answer.text(), 'slept 0.8')
    t.equal(await exitCode(host), 0)
    t.match(host.output(), /SIGTERM received, finishing requests in progress/)
  })
}

t.test("the failure catalogue has the Node host's names, besides the failures only one host has", async (t) => {
  // Node: its own header and body timeouts and CONNECT; Python: runaway threads and draining on SIGTERM.
  const nodeOnly = ['headers-timed-out', 'body-timed-out', 'tunnel-refused']
  const pythonOnly = ['too-many-runaways', 'shutting-down']
  const python = (await pythonCatalogue('python38')).map((failure) => failure.name)
  const node = Object.values(CATALOGUE).map((failure) => failure.name)
  t.same(python.filter((name) => !pythonOnly.includes(name)).sort(), node.filter((name) => !nodeOnly.includes(name)).sort())
  t.same(python.filter((name) => pythonOnly.includes(name)).sort(), [...pythonOnly].sort())
})

t.test('the host is valid Python 3.8 (vermin)', async (t) => {
  const vermin = await verminTool()
  const { stdout } = await run(vermin, [
    '--target=3.8-',
    '--violations',
    '--no-tips',
    '--eval-annotations',
    '--backport',
    'dataclasses',
    join(hostDir, 'kless.py'),
    join(hostDir, 'kless_host'),
  ]).catch((error) => {
    t.fail(`vermin found code newer than Python 3.8:\n${error.stdout}${error.stderr}`)
    return { stdout: '' }
  })
  t.notMatch(stdout, /requires 3\.(9|1\d)/)
})
