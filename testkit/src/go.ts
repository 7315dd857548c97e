import { execFile } from 'child_process'
import { existsSync } from 'fs'
import { join } from 'path'
import { promisify } from 'util'
import { assertBuildAllowed, cacheDir, withLock } from '@kless/runtime-staging'

const run = promisify(execFile)

/**
 * Builds `pkg@version` with `go install` into the cache once and returns the binary's path.
 * Works for any module without replace directives; modules that need pinned replacements
 * (k8s.io/kubernetes) get a wrapper module of their own instead.
 */
export async function goInstall(pkg: string, version: string, binaryName = pkg.split('/').pop() as string): Promise<string> {
  const dir = cacheDir('go-bin', `${pkg.replace(/[/@]/g, '_')}@${version}`)
  const binary = join(dir, binaryName)
  if (existsSync(binary)) return binary
  assertBuildAllowed(`${pkg}@${version}`)
  return withLock(join(dir, '.lock'), async () => {
    if (!existsSync(binary)) {
      await run('go', ['install', `${pkg}@${version}`], {
        env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
        maxBuffer: 64 * 1024 * 1024,
      })
    }
    return binary
  })
}
