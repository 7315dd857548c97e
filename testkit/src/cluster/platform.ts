/**
 * The platform installed for real on a cluster with a real node, as an operator installs it: the images pushed to
 * the node's platform registry (an operator's mirror), a volume for the internal registry, and `helm install` of
 * charts/kless into kyma-system. The controller, the webhook and the registry then run as pods.
 */
import { execFile } from 'child_process'
import { chownSync, mkdirSync, writeFileSync } from 'fs'
import { join } from 'path'
import { promisify } from 'util'
import { REPO_ROOT } from '../images/catalog'
import { helmBinary } from '../tools'
import { Cluster, startCluster } from './cluster'

const run = promisify(execFile)
const CHART = join(REPO_ROOT, 'charts', 'kless')

/** Where the seed installs Serverless. */
export const SYSTEM_NAMESPACE = 'kyma-system'

export interface Platform {
  cluster: Cluster
  /** Seconds each installation step took, for the test's comments and the benchmark. */
  timings: Record<string, number>
}

/** The internal registry's claim is bound to a volume in the node's folder, as an operator's local volume would back it. */
function registryVolume(cluster: Cluster): object {
  const path = join(cluster.dir, 'registry-volume')
  mkdirSync(path, { recursive: true })
  // Distribution runs as uid 1000; fsGroup does not reach a hostPath volume.
  chownSync(path, 1000, 1000)
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'kless-registry' },
    spec: { capacity: { storage: '20Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path, type: 'Directory' } },
  }
}

/** How often the controller looks for new commits here (the chart's default is 30 s). */
export const GIT_POLL_SECONDS = 3

/**
 * Test values: the images come from the node's platform registry (plain HTTP, so kaniko pulls the runtime bases with
 * --insecure-pull), and Git repositories are polled often.
 */
function testValues(cluster: Cluster): object {
  return {
    imageRegistry: cluster.platformRegistry,
    containers: {
      manager: {
        envs: {
          functionBuildExecutorArgs: { value: '--insecure,--skip-tls-verify,--insecure-pull,--skip-unused-stages,--log-format=text,--cache=true' },
          gitFetchRequeueDurationSeconds: { value: String(GIT_POLL_SECONDS) },
        },
      },
    },
  }
}

/** helm against the cluster (its kubeconfig). */
export async function helm(cluster: Cluster, args: string[]): Promise<string> {
  const { stdout } = await run(await helmBinary(), args, {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`helm ${args.join(' ')} failed: ${err.stderr || err.message}`)
  })
  return stdout
}

/** A cluster with a real node and the platform installed by helm into kyma-system, as the seed installs Serverless. */
export async function installPlatform(log: (line: string) => void): Promise<Platform> {
  const timings: Record<string, number> = {}
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now()
    const result = await work()
    timings[name] = (Date.now() - started) / 1000
    log(`${name}: ${timings[name].toFixed(1)} s`)
    return result
  }
  const cluster = await timed('cluster with a real node', () => startCluster({ node: 'real', installCrds: false, log }))
  try {
    await timed('platform images pushed', () => cluster.pushPlatformImages())
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registryVolume(cluster)))
    const valuesFile = join(cluster.dir, 'kless-values.json')
    writeFileSync(valuesFile, JSON.stringify(testValues(cluster)))
    await timed('helm install --wait', () =>
      helm(cluster, ['install', 'kless', CHART, '--namespace', SYSTEM_NAMESPACE, '--create-namespace', '-f', valuesFile, '--wait', '--timeout', '5m']),
    )
  } catch (err) {
    const pods = await cluster.kubectl(['get', 'pods', '-A', '-o', 'wide']).catch(() => '')
    const events = await cluster.kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp']).catch(() => '')
    await cluster.stop()
    throw new Error(`${(err as Error).message}\n${pods}\n${events.split('\n').slice(-30).join('\n')}`)
  }
  return { cluster, timings }
}
