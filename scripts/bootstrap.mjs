// Makes a checkout runnable, printing each step and its time: installs npm dependencies when the lock file changed
// since the last install, then compiles every TypeScript project. With --all it also prepares everything the test
// suite reads from the cache (cluster binaries, helm, interpreters, the platform images), so no test builds a tool
// inside its own timeout.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lock = join(root, 'package-lock.json')
const stamp = join(root, 'node_modules', '.kless-installed')
const digest = createHash('sha256').update(readFileSync(lock)).digest('hex')

const sh = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
const step = (name, work) => {
  const started = Date.now()
  work()
  console.error(`kless: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
  step('npm dependencies installed', () => {
    // A fresh clone gets the exact lock; an existing tree is updated in place, since `npm ci` would
    // first delete node_modules under anything else running from it.
    const fresh = !existsSync(join(root, 'node_modules'))
    sh('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'])
    writeFileSync(stamp, digest)
  })
}
step('TypeScript compiled', () => sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']))

if (process.argv.includes('--all')) {
  const { prepareAll } = createRequire(import.meta.url)('@kless/testkit')
  await prepareAll().catch((err) => {
    console.error(`kless: ${err.message}`)
    process.exit(1)
  })
}
