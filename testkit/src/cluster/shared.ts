import { existsSync, readdirSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { withLock } from '@kless/runtime-staging'
import { waitFor } from '../process'
import { Cluster, ClusterOptions } from './cluster'

const ATTACH_TIMEOUT_MS = 60_000

export interface SharedClusterOptions extends Pick<ClusterOptions, 'log'> {
  /** A cluster to reuse instead of starting one, e.g. the one `npm run cluster:up` printed. */
  existingDir?: string
  /** The process whose exit stops the cluster; every test file of one run shares that owner. */
  ownerPid?: number
}

/** Under tap every test file is a child of the runner, so the runner's lifetime is the test run's. */
function testRunOwner(): number {
  return process.env.TAP === '1' ? process.ppid : process.pid
}

/**
 * One cluster for the whole test run: the first test file starts it (under a lock), later files
 * attach to it, and it stops by itself when the run ends. Test files isolate themselves with
 * `cluster.createNamespace()` and never stop or restart a shared cluster; a test that needs to
 * restart the API server starts a private one with startCluster().
 * KLESS_CLUSTER_DIR reuses a cluster started with `npm run cluster:up`.
 */
export async function useSharedCluster(options: SharedClusterOptions = {}): Promise<Cluster> {
  const existingDir = options.existingDir ?? process.env.KLESS_CLUSTER_DIR
  if (existingDir) {
    const existing = Cluster.attach(existingDir)
    if (!existing) throw new Error(`no running cluster in ${existingDir} (KLESS_CLUSTER_DIR); start one with npm run cluster:up`)
    return existing
  }
  const ownerPid = options.ownerPid ?? testRunOwner()
  const parentDir = join(tmpdir(), `kless-shared-cluster-${ownerPid}`)
  return withLock(`${parentDir}.lock`, async () => {
    const running = existsSync(parentDir)
      ? readdirSync(parentDir)
          .map((name) => Cluster.attach(join(parentDir, name)))
          .find((cluster) => cluster !== undefined)
      : undefined
    if (!running) return Cluster.start({ ownerPid, parentDir, log: options.log })
    // Its processes run, so a moment of unreadiness (a busy machine delaying a node lease) is waited out.
    await waitFor(
      () => running.isReady(),
      ATTACH_TIMEOUT_MS,
      () => `the shared cluster in ${running.dir} to be ready\n${running.logTails()}`,
    )
    return running
  })
}
