import { existsSync, readdirSync, statSync } from 'fs'
import { join, relative } from 'path'
import { runtimesOf } from '@kless/runtime-matrix'

const packed = join(__dirname, '..', 'runtimes')

/**
 * The folder staging reads the runtimes' sources from: `runtimes/` inside this package when a packed copy ships them
 * there (the files runtimeSources lists), otherwise the repository's runtimes/ folder, the one this package sits in.
 */
export const RUNTIMES_DIR = existsSync(packed) ? packed : join(__dirname, '..', '..')

/** Every file below `dir`, as full paths, in a stable order. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? filesUnder(path) : [path]
    })
}

/** The Node host's compiled files, which stageHost copies into the cache (the runtime-node image copies the same). */
export function nodeHostFiles(): string[] {
  return filesUnder(join(RUNTIMES_DIR, 'node-host', 'dist')).filter((file) => file.endsWith('.js'))
}

/** A Node runtime's dependency pins: runtimes/<runtime>/package.json, and its package-lock.json if it has one. */
export function nodeManifests(runtime: string): string[] {
  const lock = join(RUNTIMES_DIR, runtime, 'package-lock.json')
  return [join(RUNTIMES_DIR, runtime, 'package.json'), ...(existsSync(lock) ? [lock] : [])]
}

/**
 * The files below RUNTIMES_DIR that staging reads, relative to it: what a packed copy must ship in its runtimes/
 * folder. The compiled Node host (node-host/dist), each Node runtime's package.json (and package-lock.json if it
 * has one), the Python host (python-host/kless.py and kless_host) and each Python runtime's requirements.txt.
 */
export function runtimeSources(): string[] {
  const pythonHost = join(RUNTIMES_DIR, 'python-host')
  return [
    ...nodeHostFiles(),
    ...runtimesOf('nodejs').flatMap((runtime) => nodeManifests(runtime)),
    join(pythonHost, 'kless.py'),
    ...filesUnder(join(pythonHost, 'kless_host')).filter((file) => file.endsWith('.py')),
    ...runtimesOf('python').map((runtime) => join(RUNTIMES_DIR, runtime, 'requirements.txt')),
  ].map((file) => relative(RUNTIMES_DIR, file))
}
