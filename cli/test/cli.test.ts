import t from 'tap'
import { execFile } from 'child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { promisify } from 'util'
import { RUNTIME_NAMES } from '@kless/runtime-matrix'
import { freePort, start, Started, waitFor } from '../../testkit/src/process'

const root = join(__dirname, '..', '..')
const cli = join(root, 'cli', 'dist', 'main.js')
const run = promisify(execFile)

t.before(async () => {
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'cli')])
})

function tempDir(t: { teardown(cleanup: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kless-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `kless run …` and waits for the line with the curl command. */
async function serve(t: { teardown(cleanup: () => unknown): void }, args: string[]): Promise<{ kless: Started; url: string }> {
  const port = await freePort()
  const kless = start(process.execPath, [cli, 'run', ...args, '--port', String(port)], { cwd: root })
  t.teardown(() => kless.stop())
  await waitFor(async () => kless.output().includes('curl -i'), 120_000, () => `kless run ${args.join(' ')}:\n${kless.output()}`)
  return { kless, url: `http://localhost:${port}/` }
}

t.test('kless run serves examples/hello on the local Node and prints the URL and a curl line', async (t) => {
  const { kless, url } = await serve(t, ['examples/hello'])
  t.match(kless.output(), `serving examples/hello (handler.js) with the local Node ${process.versions.node} at ${url}`)
  t.match(kless.output(), `curl -i '${url}'`)
  const response = await fetch(`${url}?name=tap`)
  t.equal(await response.text(), `Hello tap from main on nodejs${process.versions.node.split('.')[0]}!`)
  kless.child.kill('SIGTERM')
  t.equal(await kless.exited, 0, 'SIGTERM is forwarded and the host shuts down cleanly')
  t.match(kless.output(), 'Server stopped')
})

t.test('kless run --runtime nodejs10 --env serves on the pinned Node with the variables', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'handler.js'), "module.exports = { main: (event, context) => [process.version, context.runtime, context.timeout, process.env.GREETING].join(' ') }")
  const { url } = await serve(t, [dir, '--runtime', 'nodejs10', '--env', 'GREETING=hi=there', '--env', 'FUNC_TIMEOUT=7'])
  t.equal(await (await fetch(url)).text(), 'v10.24.1 nodejs10 7 hi=there')
})

t.test('kless init writes a hello function that kless run serves', async (t) => {
  const dir = join(tempDir(t), 'fn')
  const { stdout } = await run(process.execPath, [cli, 'init', dir])
  t.match(stdout, 'wrote handler.js, package.json')
  t.same(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies, {})
  const { url } = await serve(t, [dir, '--runtime', 'nodejs12'])
  t.equal(await (await fetch(`${url}?name=init`)).text(), 'Hello init from main on nodejs12!')
  await t.rejects(run(process.execPath, [cli, 'init', dir]), { stderr: /already has handler.js, package.json; not overwriting/ })
})

const badInput: Array<[string[], RegExp | string]> = [
  [['run', 'examples/missing'], /kless: examples\/missing is not a folder/],
  [['run', 'examples/hello', '--runtime', 'nodejs9'], `unknown runtime "nodejs9"; choose one of ${RUNTIME_NAMES.join(', ')}`],
  [['run', 'examples/hello', '--port', '99999'], /--port <port>.*expected a TCP port/],
  [['run', 'examples/hello', '--env', 'NOVALUE'], /expected NAME=VALUE, got "NOVALUE"/],
  [['run', 'docs'], /holds no handler.js or handler.mjs or handler.cjs; create one with `kless init/],
]
for (const [args, message] of badInput) {
  t.test(`kless ${args.join(' ')} fails with a clear message`, async (t) => {
    await t.rejects(run(process.execPath, [cli, ...args], { cwd: root }), { code: 1, stderr: message })
  })
}
