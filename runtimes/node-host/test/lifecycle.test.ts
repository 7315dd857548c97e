import t from 'tap'
import { functionFolder, startHost } from './host'

for (const runtime of ['nodejs10', 'nodejs22'] as const) {
  t.test(`${runtime}: SIGTERM stops accepting, finishes the request in flight, exits 0`, async (t) => {
    const fn = functionFolder({ 'handler.js': "module.exports = { main: () => new Promise((resolve) => setTimeout(() => resolve('finished'), 800)) }" })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir)
    t.teardown(() => host.stop())
    const inFlight = fetch(`${host.url}/`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    host.child.kill('SIGTERM')
    const response = await inFlight
    t.equal(response.status, 200)
    t.equal(await response.text(), 'finished')
    t.equal(await host.exited, 0)
    t.match(host.output(), /Shutting down\.\.[^]*Server stopped/)
    await t.rejects(fetch(`${host.url}/healthz`), 'no longer accepting connections')
  })

  t.test(`${runtime}: a synchronous busy loop gets 408 after FUNC_TIMEOUT, then the process exits`, async (t) => {
    const fn = functionFolder({ 'handler.js': "module.exports = { main: (event) => { if (event.extensions.request.query.spin) for (;;) {} return 'ok' } }" })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir, { FUNC_TIMEOUT: '1' })
    t.teardown(() => host.stop())
    const started = Date.now()
    const response = await fetch(`${host.url}/?spin=1`)
    t.equal(response.status, 408)
    t.equal(await response.text(), '{"code":"ERR_SCRIPT_EXECUTION_TIMEOUT"}')
    t.equal(response.headers.get('access-control-allow-origin'), '*')
    t.ok(Date.now() - started < 3000, 'answered soon after the timeout')
    await host.exited
    t.equal(host.child.signalCode, 'SIGKILL', 'the process is gone, so the pod restarts')
    t.match(host.output(), 'CRITICAL: the function ran synchronously for more than 1 s (FUNC_TIMEOUT)')
  })

  t.test(`${runtime}: loading Express on a call's first req.query is the host's time, not counted against FUNC_TIMEOUT`, async (t) => {
    // What a 100m CPU limit does to that load, made certain: the module, loaded at start, makes Express take 1.5 s.
    const handler = `const Module = require('module')
const load = Module._load
Module._load = function (request) {
  if (request === 'express') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500)
  return load.apply(this, arguments)
}
module.exports = { main: (event) => event.extensions.request.query.name || 'nobody' }
`
    const fn = functionFolder({ 'handler.js': handler })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir, { FUNC_TIMEOUT: '1' })
    t.teardown(() => host.stop())
    const started = Date.now()
    const response = await fetch(`${host.url}/?name=John`)
    t.equal(response.status, 200)
    t.equal(await response.text(), 'John')
    t.ok(Date.now() - started >= 1500, 'the call did meet the slow load')
    t.equal((await fetch(`${host.url}/?name=Jane`)).status, 200, 'the process still serves')
    t.notMatch(host.output(), 'CRITICAL')
  })
}

t.test('an asynchronous process.exit or throw in a function leaves the runtime serving', async (t) => {
  const fn = functionFolder({
    'handler.js': `module.exports = { main: (event) => {
      const q = event.extensions.request.query
      if (q.exit) setTimeout(() => process.exit(1), 10)
      if (q.throw) setTimeout(() => { throw new Error('late') }, 10)
      if (q.reject) Promise.reject(new Error('nobody listens'))
      return 'ok'
    } }`,
  })
  t.teardown(fn.remove)
  const host = await startHost('nodejs20', fn.dir)
  t.teardown(() => host.stop())
  for (const query of ['exit', 'throw', 'reject']) {
    t.equal(await (await fetch(`${host.url}/?${query}=1`)).text(), 'ok')
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal((await fetch(`${host.url}/healthz`)).status, 200, `alive after ${query}`)
  }
  t.match(host.output(), 'the function called process.exit(1); the runtime keeps serving')
  t.match(host.output(), 'Function failed outside a request: Error: late')
  t.match(host.output(), 'Function left a rejected promise unhandled: Error: nobody listens')
})

t.test('a pending promise gets 408 after FUNC_TIMEOUT and the runtime keeps serving', async (t) => {
  const fn = functionFolder({ 'handler.js': "module.exports = { main: (event) => event.extensions.request.query.hang ? new Promise(() => {}) : 'ok' }" })
  t.teardown(fn.remove)
  const host = await startHost('nodejs12', fn.dir, { FUNC_TIMEOUT: '0.5' })
  t.teardown(() => host.stop())
  const response = await fetch(`${host.url}/?hang=1`)
  t.equal(response.status, 408)
  t.equal(await (await fetch(`${host.url}/`)).text(), 'ok')
  t.match(await (await fetch(`${host.url}/metrics`)).text(), 'function_failures_total{method="handler-GET"} 1')
})
