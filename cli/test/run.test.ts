import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, httpCall, start, waitFor, type Started } from '@kless/testkit'

const cli = join(import.meta.dirname, '..', 'dist', 'main.js')
const execute = promisify(execFile)
const kless = (args: string[], cwd: string) => execute(process.execPath, [cli, ...args], { cwd })

function tempDir(t: { teardown(cleanup: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kless-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `kless run …` in `cwd` and waits for the line with the curl command. */
async function serve(t: { teardown(cleanup: () => unknown): void }, args: string[], cwd: string): Promise<{ run: Started; url: string }> {
  const port = await freePort()
  const run = start(process.execPath, [cli, 'run', ...args, '--port', String(port)], { cwd })
  t.teardown(() => run.stop())
  await waitFor(
    async () => run.output().includes('curl -i'),
    120_000,
    () => `kless run ${args.join(' ')}:\n${run.output()}`,
  )
  return { run, url: `http://localhost:${port}/` }
}

const get = async (url: string) => (await httpCall(url, { timeoutMs: 10_000 })).body
const until = (run: Started, text: string, after = 0) =>
  waitFor(
    async () => run.output().indexOf(text, after) >= 0,
    30_000,
    () => `"${text}" in the output:\n${run.output().slice(after)}`,
  )

for (const runtime of ['nodejs20', 'python38']) {
  t.test(`init --runtime ${runtime}, then the printed run command serves it on its pinned interpreter`, async (t) => {
    const cwd = tempDir(t)
    const { stdout } = await kless(['init', 'my-fn', '--runtime', runtime], cwd)
    t.match(stdout, `wrote config.yaml, ${runtime === 'python38' ? 'handler.py, requirements.txt' : 'handler.js, package.json'} to my-fn`)
    const printed = /kless (run .+)$/m.exec(stdout)?.[1].split(' ') ?? []
    t.same(printed, ['run', 'my-fn'], 'init prints the run command')
    const { run, url } = await serve(t, printed.slice(1), cwd)
    t.match(run.output(), runtime === 'python38' ? 'with python38 on Python 3.8.18' : 'with nodejs20 on Node 20.')
    t.equal(await get(`${url}?name=you`), `Hello you from main on ${runtime}!`)
  })
}

t.test('a saved change is served without a restart; a request in flight finishes on the version it started on', async (t) => {
  const dir = tempDir(t)
  const handler = join(dir, 'handler.js')
  writeFileSync(
    handler,
    "module.exports = { main: (event) => event.extensions.request.query.slow ? new Promise((done) => setTimeout(() => done('v1 slow'), 4000)) : 'v1' }\n",
  )
  const { run, url } = await serve(t, [dir, '--runtime', 'nodejs20'], dir)
  t.equal(await get(url), 'v1')
  const inFlight = httpCall(`${url}?slow=1`, { timeoutMs: 20_000 })
  await new Promise((done) => setTimeout(done, 300))
  const mark = run.output().length
  writeFileSync(handler, "module.exports = { main: () => 'v2' }\n")
  await until(run, 'kless: reloaded', mark)
  t.equal(await get(url), 'v2', 'new requests reach the new version')
  t.same(await inFlight, { status: 200, body: 'v1 slow' }, 'the old version finished the request it held')

  const broken = run.output().length
  writeFileSync(handler, "module.exports = { main: ( => 'v3' }\n")
  await until(run, 'does not compile; still serving the last good version', broken)
  t.match(run.output().slice(broken), /handler\.js:1[\s\S]*SyntaxError/, 'the error names the file and line')
  t.equal(await get(url), 'v2', 'the last good version keeps serving')
  const fixed = run.output().length
  writeFileSync(handler, "module.exports = { main: () => 'v3' }\n")
  await until(run, 'kless: reloaded', fixed)
  t.equal(await get(url), 'v3', 'the watcher kept running through the syntax error')
})

t.test('a Python syntax error is reported with its line, and the fix reloads', async (t) => {
  const dir = tempDir(t)
  const handler = join(dir, 'handler.py')
  writeFileSync(handler, 'def main(event, context):\n    return "one"\n')
  const { run, url } = await serve(t, [dir], dir)
  t.match(run.output(), 'with python38 on Python', 'the runtime comes from handler.py')
  const broken = run.output().length
  writeFileSync(handler, 'def main(event, context)\n    return "two"\n')
  await until(run, 'does not compile', broken)
  t.match(run.output().slice(broken), /handler\.py", line 1[\s\S]*SyntaxError/)
  t.equal(await get(url), 'one')
  const fixed = run.output().length
  writeFileSync(handler, 'def main(event, context):\n    return "two"\n')
  await until(run, 'kless: reloaded', fixed)
  t.equal(await get(url), 'two')
})

t.test('a save in a subfolder, even one made just after the run starts, reloads too; Python leaves no __pycache__ behind', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'lib'))
  writeFileSync(join(dir, 'lib', 'greeting.py'), 'WORD = "one"\n')
  writeFileSync(
    join(dir, 'handler.py'),
    'import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\nfrom lib.greeting import WORD\n\ndef main(event, context):\n    return WORD\n',
  )
  const { run, url } = await serve(t, [dir, '--runtime', 'python312'], dir)
  const mark = run.output().length
  writeFileSync(join(dir, 'lib', 'greeting.py'), 'WORD = "two"\n')
  await until(run, 'kless: reloaded', mark)
  t.equal(await get(url), 'two')
  t.notOk(existsSync(join(dir, '__pycache__')) || existsSync(join(dir, 'lib', '__pycache__')))
})

t.test("dependencies come from a cache keyed by package.json; the author's folder gets no node_modules", async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'deps', version: '1.0.0', dependencies: { ms: '2.1.3' } }))
  writeFileSync(join(dir, 'handler.js'), "const ms = require('ms')\nmodule.exports = { main: () => String(ms('2h')) }\n")
  const { url } = await serve(t, [dir, '--runtime', 'nodejs12'], dir)
  t.equal(await get(url), '7200000')
  t.notOk(existsSync(join(dir, 'node_modules')))
})

t.test('config.yaml gives the runtime and env; --env wins; a valueFrom entry is named as needing --env', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'config.yaml'),
    'name: env-demo\nruntime: nodejs10\nenv:\n  - {name: GREETING, value: hello}\n  - {name: WHO, value: config}\n  - name: TOKEN\n    valueFrom: {secretKeyRef: {name: s, key: k}}\nsource: {sourceType: inline}\n',
  )
  writeFileSync(
    join(dir, 'handler.js'),
    "module.exports = { main: () => [process.version, process.env.GREETING, process.env.WHO, process.env.FUNC_NAME].join(' ') }\n",
  )
  const { run, url } = await serve(t, [dir, '--env', 'WHO=flag'], dir)
  t.equal(await get(url), 'v10.24.1 hello flag env-demo')
  t.match(run.output(), 'TOKEN comes from the cluster (valueFrom); give it locally with --env TOKEN=...')
})

t.test('--inspect opens the Node inspector on 9229, and again after a reload', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'handler.js'), "module.exports = { main: () => 'a' }\n")
  const { run, url } = await serve(t, [dir, '--runtime', 'nodejs22', '--inspect'], dir)
  t.match((await httpCall('http://127.0.0.1:9229/json/version')).body, /"Browser": "node\.js\/v22/)
  const mark = run.output().length
  writeFileSync(join(dir, 'handler.js'), "module.exports = { main: () => 'b' }\n")
  await until(run, 'kless: reloaded', mark)
  t.equal(await get(url), 'b')
  t.match((await httpCall('http://127.0.0.1:9229/json/version')).body, /node\.js\/v22/)
})

t.test('SIGTERM stops the host cleanly and kless exits 0', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'handler.js'), "module.exports = { main: () => 'ok' }\n")
  const { run } = await serve(t, [dir], dir)
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)
  t.match(run.output(), 'Server stopped')
})

const usageErrors: [string[], RegExp][] = [
  [['run', 'no-such-folder'], /no-such-folder is not a folder/],
  [['run', '.', '--port', '99999'], /--port <port>.*expected a TCP port/],
  [['run', '.', '--env', 'NOVALUE'], /expected NAME=VALUE, got "NOVALUE"/],
  [['init', 'x', '--runtime', 'nodejs9'], /Allowed choices are nodejs12, nodejs10, python38/],
  [['init', 'x', '--source', 'git'], /--source git needs --url/],
  [['frobnicate'], /unknown command 'frobnicate'/],
]
for (const [args, message] of usageErrors) {
  t.test(`kless ${args.join(' ')} is a usage error: exit 2 and what is wrong`, async (t) => {
    await t.rejects(kless(args, tempDir(t)), { code: 2, stderr: message })
  })
}

t.test('a folder with no handler, or a broken config.yaml, fails with exit 1 and says what to do', async (t) => {
  const empty = tempDir(t)
  await t.rejects(kless(['run', empty], empty), { code: 1, stderr: /holds no handler\.js or handler\.py; create one with `kless init/ })
  writeFileSync(join(empty, 'config.yaml'), 'name: a\nsource:\n  sourceType: ftp\n')
  await t.rejects(kless(['run', empty], empty), { code: 1, stderr: /config\.yaml:3: source\.sourceType: must be inline or git/ })
})
