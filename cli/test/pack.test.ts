import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, httpCall, start, waitFor } from '@kless/testkit'

const execute = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')

t.test('npm run pack:cli gives a package that installs globally in a clean folder, where init, run and a dry run work', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kless-pack-test-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const { stdout } = await execute(process.execPath, [join(root, 'scripts', 'pack-cli.mjs'), '--destination', home])
  const tarball = stdout.trim()
  t.match(tarball, /kless-\d+\.\d+\.\d+\.tgz$/)
  const prefix = join(home, 'global')
  // Outside the repository, so nothing resolves from its node_modules.
  await execute('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: home,
    maxBuffer: 16 * 1024 * 1024,
  })
  t.same(readdirSync(join(prefix, 'lib', 'node_modules')), ['kless'])
  const kless = join(prefix, 'bin', 'kless')
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, NODE_PATH: '' }

  const init = await execute(kless, ['init', 'packed', '--runtime', 'nodejs22'], { cwd: home, env })
  t.match(init.stdout, 'kless run packed')
  const dryRun = await execute(kless, ['deploy', 'packed', '--dry-run'], { cwd: home, env })
  t.match(dryRun.stdout, /kind: Function[\s\S]*minReplicas: 1/, 'the dry run applies the webhooks’ defaults')

  const port = await freePort()
  const run = start(kless, ['run', 'packed', '--port', String(port)], { cwd: home, env })
  t.teardown(() => run.stop())
  await waitFor(
    async () => run.output().includes('curl -i'),
    120_000,
    () => run.output(),
  )
  t.equal((await httpCall(`http://localhost:${port}/?name=packed`)).body, 'Hello packed from main on nodejs22!')
})
