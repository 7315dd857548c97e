/**
 * The platform installed for real on a cluster with a real node: the images pushed to the node's platform registry,
 * a volume for the internal registry, and `helm install` of charts/kless. Everything then runs as pods.
 */
import { execFile } from 'node:child_process'
import { chownSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { get } from 'node:http'
import { helmBinary, startCluster, waitFor, type Cluster } from '@kless/testkit'
import { CHART } from '../webhooks/helm.js'
import type { Function } from '../../src/api/types.js'
import { conditionSummary, functionPath, getJson } from '../cluster/harness.js'

const run = promisify(execFile)

export const SYSTEM_NAMESPACE = 'kyma-system'

export interface Platform {
  cluster: Cluster
  /** Seconds each installation step took, for the test's comments and the benchmark. */
  timings: Record<string, number>
}

/** The internal registry's claim is bound to a volume in the node's folder, as an operator's local volume would back it. */
function registryVolume(cluster: Cluster): object {
  const path = join(cluster.dir, 'node', 'volumes', 'registry')
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

/**
 * Test values: the images come from the node's platform registry (plain HTTP, so kaniko pulls the runtime bases with
 * --insecure-pull), and builds use the local-dev preset that a 2-core node fits.
 */
function testValues(cluster: Cluster): object {
  return {
    imageRegistry: cluster.platformRegistry,
    containers: { manager: { envs: { functionBuildExecutorArgs: { value: '--insecure,--skip-tls-verify,--insecure-pull,--skip-unused-stages,--log-format=text,--cache=true' } } } },
  }
}

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

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
  })
}

/** The Function's Service answers at its ClusterIP from the machine (through kube-proxy). */
export async function functionUrl(cluster: Cluster, namespace: string, name: string): Promise<string> {
  const service = JSON.parse(await cluster.kubectl(['get', 'service', '-n', namespace, name, '-o', 'json'])) as { spec: { clusterIP: string; ports: { port: number }[] } }
  return `http://${service.spec.clusterIP}:${service.spec.ports[0].port}/`
}

/** Waits until the Function satisfies `done`; the timeout message names its conditions, its pods and the controller's log. */
export async function waitForFunctionOnNode(cluster: Cluster, namespace: string, name: string, done: (fn: Function | undefined) => boolean, timeoutMs: number): Promise<Function> {
  let last: Function | undefined
  await waitFor(
    async () => done((last = await getJson<Function>(cluster, functionPath(namespace, name)))),
    timeoutMs,
    () => `Function ${namespace}/${name}; last conditions: ${conditionSummary(last)}`,
  ).catch(async (err: Error) => {
    const pods = await cluster.kubectl(['get', 'pods', '-n', namespace, '-o', 'wide']).catch(() => '')
    const controller = await cluster.kubectl(['logs', '-n', SYSTEM_NAMESPACE, 'deployment/serverless-ctrl-mngr', '--tail=30']).catch(() => '')
    throw new Error(`${err.message}\n${pods}\n--- controller\n${controller}`)
  })
  return last as Function
}
