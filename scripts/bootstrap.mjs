// Makes a checkout runnable: installs npm dependencies when the lock file changed since the
// last install, then compiles every TypeScript project. Uses nothing but Node itself.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lock = join(root, 'package-lock.json')
const stamp = join(root, 'node_modules', '.kless-installed')
const digest = createHash('sha256').update(readFileSync(lock)).digest('hex')

const sh = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
  console.error('kless: installing npm dependencies (first run or package-lock.json changed)…')
  // A fresh clone gets the exact lock; an existing tree is updated in place, since `npm ci` would
  // first delete node_modules under anything else running from it.
  const fresh = !existsSync(join(root, 'node_modules'))
  sh('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'])
  writeFileSync(stamp, digest)
}
sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'])
