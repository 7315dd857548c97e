import t from 'tap'
import { createServer } from 'net'
import { functionFolder, launchHost, RUNTIMES, startHost } from './host'

const hello = { 'handler.js': "module.exports = { main: () => 'hello' }" }

for (const runtime of RUNTIMES) {
  t.test(`${runtime}: an invalid FUNC_TIMEOUT stops start-up with a message naming it`, async (t) => {
    const fn = functionFolder(hello)
    t.teardown(fn.remove)
    const host = await launchHost(runtime, fn.dir, { FUNC_TIMEOUT: 'abc' })
    t.teardown(() => host.stop())
    t.equal(await host.exited, 2)
    t.match(host.output(), 'Invalid runtime configuration: FUNC_TIMEOUT="abc" is not a positive number')
    t.notMatch(host.output(), /\n\s+at /, 'no stack trace for a configuration error')
  })
}

t.test('a port already in use stops start-up with a message naming FUNC_PORT', async (t) => {
  const fn = functionFolder(hello)
  t.teardown(fn.remove)
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const host = await launchHost('nodejs20', fn.dir, { FUNC_PORT: String(port) })
  t.teardown(() => host.stop())
  t.equal(await host.exited, 1)
  t.match(host.output(), `Cannot listen on FUNC_PORT=${port}`)
})

t.test('a module that fails to load answers 500 on every call while /healthz stays 200', async (t) => {
  const fn = functionFolder({ 'handler.js': 'module.exports = { main: () => { return 1 ' })
  t.teardown(fn.remove)
  const host = await startHost('nodejs12', fn.dir)
  t.teardown(() => host.stop())
  for (const method of ['GET', 'POST']) {
    const response = await fetch(`${host.url}/`, { method, body: method === 'POST' ? 'x' : undefined })
    t.equal(response.status, 500)
    t.equal(await response.text(), 'Internal Server Error')
  }
  t.equal((await fetch(`${host.url}/healthz`)).status, 200)
  const metrics = await (await fetch(`${host.url}/metrics`)).text()
  t.match(metrics, 'function_failures_total{method="handler-GET"} 1')
  t.match(metrics, 'function_failures_total{method="handler-POST"} 1')
  t.match(host.output(), /Function failed to load: [^]*SyntaxError/)
})

t.test('a module without the FUNC_HANDLER export names the missing export in the log', async (t) => {
  const fn = functionFolder({ 'handler.js': 'module.exports = { other: () => 1 }' })
  t.teardown(fn.remove)
  const host = await startHost('nodejs22', fn.dir)
  t.teardown(() => host.stop())
  t.equal((await fetch(`${host.url}/`)).status, 500)
  t.match(host.output(), 'does not export a function named "main" (FUNC_HANDLER)')
})

const esmFolders: Record<string, Record<string, string>> = {
  'handler.mjs': { 'handler.mjs': "export function main(event, context) { return 'esm ' + context.runtime }" },
  '"type": "module"': {
    'handler.js': "import { join } from 'path'\nexport const main = () => join('esm', 'module')",
    'package.json': '{ "type": "module" }',
  },
}
for (const [kind, files] of Object.entries(esmFolders)) {
  for (const runtime of RUNTIMES) {
    t.test(`${runtime}: an ES-module handler (${kind})`, async (t) => {
      const fn = functionFolder(files)
      t.teardown(fn.remove)
      const host = await startHost(runtime, fn.dir)
      t.teardown(() => host.stop())
      const response = await fetch(`${host.url}/`)
      if (runtime === 'nodejs10') {
        t.equal(response.status, 500, 'Node 10 cannot load ES modules')
        t.match(host.output(), 'ES-module handlers need Node 12.17 or newer')
      } else {
        t.equal(response.status, 200)
        t.equal(await response.text(), kind === 'handler.mjs' ? `esm ${runtime}` : 'esm/module')
      }
    })
  }
}

t.test('module state persists between calls: the module loads once', async (t) => {
  const fn = functionFolder({ 'handler.js': "let calls = 0\nconsole.log('loaded')\nmodule.exports = { main: () => ++calls }" })
  t.teardown(fn.remove)
  const host = await startHost('nodejs10', fn.dir)
  t.teardown(() => host.stop())
  const answers = []
  for (let i = 0; i < 3; i++) answers.push(await (await fetch(`${host.url}/`)).text())
  t.same(answers, ['1', '2', '3'])
  t.equal(host.output().split('loaded').length - 1, 1)
})

t.test('functions can require the runtime packages they never declared, as in the 1.x images', async (t) => {
  const fn = functionFolder({ 'handler.js': "const express = require('express')\nmodule.exports = { main: () => typeof express.Router }" })
  t.teardown(fn.remove)
  const host = await startHost('nodejs12', fn.dir)
  t.teardown(() => host.stop())
  t.equal(await (await fetch(`${host.url}/`)).text(), 'function')
})
