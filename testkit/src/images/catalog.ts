import { readFileSync } from 'fs'
import { join } from 'path'
import { loadMatrix } from '@kless/runtime-matrix'

/** The repository root: every platform image builds with it as the context. */
export const REPO_ROOT = join(__dirname, '..', '..', '..')

/** One image the platform runs, built from a Dockerfile of this repository. */
export interface ImageSpec {
  /** Repository and tag, e.g. `kless/runtime-nodejs12:0.1.0`. */
  ref: string
  /** Repository-relative path of the Dockerfile; the build context is the repository root. */
  dockerfile: string
  buildArgs: Record<string, string>
  /** What the image is for, as docs/images.md lists it. */
  purpose: string
}

/** The version every platform image carries as tag and label: the chart's appVersion. */
export function platformVersion(): string {
  const chart = readFileSync(join(REPO_ROOT, 'charts', 'kless', 'Chart.yaml'), 'utf8')
  const match = /^appVersion:\s*"?([^"\s]+)"?\s*$/m.exec(chart)
  if (!match) throw new Error('charts/kless/Chart.yaml has no appVersion')
  return match[1]
}

/**
 * Every image the platform runs: the runtimes (one per row of the runtime matrix, with its base and name), the
 * orchestrator, the build Job's kaniko executor and Git fetcher, and the internal registry.
 */
export function platformImages(): ImageSpec[] {
  const version = platformVersion()
  const runtimes = loadMatrix().runtimes.map<ImageSpec>((runtime) => ({
    ref: `${runtime.image}:${runtime.imageTag}`,
    dockerfile: `images/runtime-${runtime.language === 'nodejs' ? 'node' : 'python'}/Dockerfile`,
    buildArgs: {
      BASE: runtime.base,
      RUNTIME: runtime.name,
      VERSION: runtime.imageTag,
      ...(runtime.name === 'nodejs10' ? { NODE_FLAGS: '--experimental-worker' } : {}),
    },
    purpose: `Function runtime ${runtime.name}: the ${runtime.language === 'nodejs' ? 'Node' : 'Python'} host on ${runtime.base}; function builds start from it`,
  }))
  const own = (name: string, purpose: string): ImageSpec => ({
    ref: `kless/${name}:${version}`,
    dockerfile: `images/${name}/Dockerfile`,
    buildArgs: { VERSION: version },
    purpose,
  })
  return [
    ...runtimes,
    own('orchestrator', 'the Function controller and the admission webhooks (two entry points)'),
    own('kaniko-executor', 'builds and pushes Function images in the build Jobs (kaniko v1.23.2)'),
    own('git-fetcher', "the build Job's init container that clones a Git-sourced Function"),
    own('registry', 'the internal registry Function images are pushed to and pulled from (Distribution 2.8)'),
  ]
}
