import { RUNTIME_NAMES, runtimeInfo } from '@kless/runtime-matrix'
import { prepareNodeRuntime, preparePythonRuntime } from '@kless/runtime-staging'
import { clusterBinaries, nodeBinaries } from './cluster/binaries'
import { buildPlatformImages } from './images/build'
import { ensureDebianPackages, IMAGE_TOOL_PACKAGES } from './images/debian'
import { helmBinary, verminTool } from './tools'

export interface Step {
  name: string
  run: () => Promise<unknown>
}

/**
 * Everything tests read from the cache, in two lanes that run side by side: the Go builds of the cluster and its
 * real node, and the runtimes with the images built from them (then helm). Each step is a no-op when its cache entry exists.
 */
export function preparationLanes(log: (line: string) => void): Step[][] {
  const runtimes: Step[] = RUNTIME_NAMES.map((runtime) => ({
    name: `runtime ${runtime}`,
    run: () => (runtimeInfo(runtime).language === 'nodejs' ? prepareNodeRuntime(runtime) : preparePythonRuntime(runtime)),
  }))
  return [
    [
      { name: 'cluster binaries (etcd, Kubernetes, kwok)', run: () => clusterBinaries(log) },
      { name: 'real node binaries (kubelet, kube-proxy, pause, CoreDNS)', run: () => nodeBinaries(log) },
    ],
    [
      { name: 'Debian image tools', run: () => ensureDebianPackages(IMAGE_TOOL_PACKAGES) },
      ...runtimes,
      { name: 'vermin', run: verminTool },
      { name: 'platform images', run: () => buildPlatformImages({ standIns: true, log }) },
      // After the images: the Go lane is the longer one (measured from empty caches: 27 min against 20).
      { name: 'helm', run: helmBinary },
    ],
  ]
}

/** Runs every lane, printing each step with its duration; the first failure ends the run with its message. */
export async function prepareAll(log: (line: string) => void = (line) => console.error(line)): Promise<void> {
  const started = Date.now()
  const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`
  await Promise.all(
    preparationLanes(log).map(async (lane) => {
      for (const step of lane) {
        const stepStarted = Date.now()
        try {
          await step.run()
        } catch (err) {
          throw new Error(`preparing ${step.name} failed: ${(err as Error).message}`)
        }
        log(`kless: ${step.name} ready (${seconds(stepStarted)})`)
      }
    }),
  )
  log(`kless: everything the tests use is ready (${seconds(started)})`)
}
