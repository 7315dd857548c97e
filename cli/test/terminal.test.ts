// The author's loop as a new user types it, in a real terminal: tmux runs a shell, send-keys types, capture-pane reads.
import t from 'tap'
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, waitFor } from '@kless/testkit'

const execute = promisify(execFile)
const cli = join(import.meta.dirname, '..', 'dist', 'main.js')

t.test('init → run → curl → edit → curl → syntax error → fix, in tmux', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kless-tmux-'))
  const bin = join(home, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'kless'), `#!/bin/sh\nexec '${process.execPath}' '${cli}' "$@"\n`)
  chmodSync(join(bin, 'kless'), 0o755)
  const socket = `kless-test-${process.pid}`
  const tmux = (...args: string[]) => execute('tmux', ['-L', socket, ...args], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })
  t.teardown(async () => {
    await tmux('kill-server').catch(() => undefined)
    rmSync(home, { recursive: true, force: true })
  })
  await tmux('new-session', '-d', '-s', 'author', '-x', '220', '-y', '50', '-c', home, 'sh')
  await tmux('new-window', '-t', 'author', '-c', home, 'sh')
  const type = (window: number, line: string) => tmux('send-keys', '-t', `author:${window}`, line, 'Enter')
  const screen = async (window: number) => (await tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', `author:${window}`)).stdout
  const shows = (window: number, pattern: RegExp, occurrences = 1) =>
    waitFor(
      async () => ((await screen(window)).match(new RegExp(pattern, `${pattern.flags}g`)) ?? []).length >= occurrences,
      60_000,
      () => `${pattern} on window ${window}`,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n--- window ${window}:\n${await screen(window)}`)
    })

  await type(0, 'kless init hello --runtime nodejs20')
  await shows(0, /serve it here: +kless run hello/)
  const port = await freePort()
  await type(0, `kless run hello --port ${port}`)
  await shows(0, /watching hello; saved changes reload it/)

  await type(1, `curl -s 'http://localhost:${port}/?name=tmux'; echo`)
  await shows(1, /Hello tmux from main on nodejs20!/)

  const handler = join(home, 'hello', 'handler.js')
  writeFileSync(handler, readFileSync(handler, 'utf8').replace('Hello', 'Howdy'))
  await shows(0, /kless: reloaded hello/)
  await type(1, `curl -s 'http://localhost:${port}/?name=tmux'; echo`)
  await shows(1, /Howdy tmux from main on nodejs20!/)

  writeFileSync(handler, 'module.exports = { main: function (event { return 1 } }\n')
  await shows(0, /hello\/handler\.js does not compile; still serving the last good version/)
  await shows(0, /SyntaxError/)
  await type(1, `curl -s 'http://localhost:${port}/?name=again'; echo`)
  await shows(1, /Howdy again from main on nodejs20!/)

  writeFileSync(handler, "module.exports = { main: () => 'fixed' }\n")
  await shows(0, /kless: reloaded hello/, 2)
  await type(1, `curl -s 'http://localhost:${port}/'; echo`)
  await shows(1, /^fixed$/m)

  await tmux('send-keys', '-t', 'author:0', 'C-c')
  await shows(0, /Server stopped/)
})
