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
