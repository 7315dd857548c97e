import { createHash } from 'crypto'
import { mkdirSync } from 'fs'
import { homedir } from 'os'
import { join } from 'path'

/**
 * Root of everything downloaded or built for tests and local runs. It lives outside the
 * repository so a fresh clone reuses it; every entry below it is keyed by version.
 */
export function cacheRoot(): string {
  const root = process.env.KLESS_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kless')
  mkdirSync(root, { recursive: true })
  return root
}

/** A folder inside the cache, created on first use: cacheDir('node', '12.22.12'). */
export function cacheDir(...parts: string[]): string {
  const dir = join(cacheRoot(), ...parts)
  mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * Tests only read the cache the bootstrap filled (npm test sets KLESS_CACHE_READ_ONLY): building a tool inside a
 * test's timeout is the failure this turns into a clear message instead.
 */
export function assertBuildAllowed(what: string): void {
  if (process.env.KLESS_CACHE_READ_ONLY === '1') {
    throw new Error(`${what} is not in the kless cache (${cacheRoot()}); npm test's bootstrap prepares it: run \`node scripts/bootstrap.mjs\``)
  }
}

/** A short key for a cache entry: the sha256 of its inputs, in order, cut to 16 hex digits. */
export function cacheKey(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest('hex').slice(0, 16)
}
