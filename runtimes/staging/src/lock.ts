import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { dirname, join } from 'path'
import { assertBuildAllowed } from './cache'

/** True when the lock's holder is gone: a killed build must not block the next run. */
function holderIsGone(lockFile: string): boolean {
  let content: string
  try {
    content = readFileSync(lockFile, 'utf8')
  } catch {
    return false // released between our two calls
  }
  if (content === '') return false // created, pid not written yet
  const pid = Number(content)
  if (!Number.isInteger(pid) || pid <= 0) return true
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Runs `work` while holding an exclusive lock file that records the holder's pid, so parallel test
 * files that need the same cached artifact build it once, and a lock left by a dead process is taken over.
 */
export async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true })
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (holderIsGone(lockFile)) {
        rmSync(lockFile, { force: true })
        continue
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

/**
 * Fills the cache folder `dir` once: `work` runs under the lock `<dir>.lock` (beside it, so `work` may clear the
 * folder), and a `.installed` marker written after it tells later calls, in any process, that it is done. `what`
 * names the entry when the cache is read-only (npm test), where building it is an error.
 */
export async function buildOnce(dir: string, work: () => Promise<void>, what?: string): Promise<void> {
  const ready = join(dir, '.installed')
  if (existsSync(ready)) return
  if (what) assertBuildAllowed(what)
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(ready)) return
    await work()
    writeFileSync(ready, new Date().toISOString())
  })
}
