import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'fs'
import { dirname } from 'path'

const STALE_MS = 60 * 60 * 1000

/**
 * Runs `work` while holding an exclusive lock file, so parallel test files that need the same
 * cached artifact build it once. A lock older than an hour is taken to be left by a killed run.
 */
export async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true })
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'))
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      try {
        if (Date.now() - statSync(lockFile).mtimeMs > STALE_MS) rmSync(lockFile, { force: true })
      } catch {
        // the holder released it between our two calls
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    return await work()
  } finally {
    rmSync(lockFile, { force: true })
  }
}
