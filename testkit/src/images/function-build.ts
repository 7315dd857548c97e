import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { REPO_ROOT } from './catalog'
import { Containerd } from './containerd'

/** A Function's sources as a build sees them. */
export interface FunctionSource {
  /** Repository-relative function-build Dockerfile, e.g. kaniko/dockerfiles/nodejs.Dockerfile. */
  dockerfile: string
  handlerFile: string
  source: string
  depsFile: string
  deps: string
  env: Record<string, string>
}

/** The build context as the build Job mounts it: src/<handler>, src/<deps>, an empty registry-config/, the Dockerfile. */
export function functionBuildContext(fn: FunctionSource): string {
  const dir = mkdtempSync(join(tmpdir(), 'kless-function-build-'))
  mkdirSync(join(dir, 'src'))
  mkdirSync(join(dir, 'registry-config'))
  writeFileSync(join(dir, 'src', fn.handlerFile), fn.source)
  writeFileSync(join(dir, 'src', fn.depsFile), fn.deps)
  copyFileSync(join(REPO_ROOT, fn.dockerfile), join(dir, 'Dockerfile'))
  return dir
}

export interface KanikoBuild {
  exitCode: number | null
  seconds: number
  output: string
}

/**
 * Runs the kaniko executor image in a container as a build Job's pod does: as root with a writable root filesystem
 * (kaniko unpacks the base image over its own root), the context at /workspace, pushing to `destination`. FROM images
 * come from `registryHost`, which stands in for Docker Hub (--registry-mirror). With `cacheRepo`, layers are cached
 * there as the controller's `--cache=true` does.
 */
export async function kanikoBuild(
  containerd: Containerd,
  executorImage: string,
  options: { id: string; context: string; destination: string; registryHost: string; buildArgs: Record<string, string>; cacheRepo?: string },
): Promise<KanikoBuild> {
  const args = [
    '/kaniko/executor',
    '--dockerfile',
    '/workspace/Dockerfile',
    '--context',
    'dir:///workspace',
    '--destination',
    options.destination,
    '--insecure',
    '--insecure-pull',
    '--skip-tls-verify',
    '--insecure-registry',
    options.registryHost,
    '--registry-mirror',
    options.registryHost,
    ...Object.entries(options.buildArgs).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    ...(options.cacheRepo ? ['--cache=true', '--cache-repo', options.cacheRepo] : []),
  ]
  const started = Date.now()
  const build = containerd.run({ image: executorImage, id: options.id, hostNetwork: true, binds: { [options.context]: '/workspace' }, command: args })
  const exitCode = await build.exited
  return { exitCode, seconds: (Date.now() - started) / 1000, output: build.output() }
}
