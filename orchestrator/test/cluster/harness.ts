import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { freePort, start, waitFor, type Cluster, type Started } from '@kless/testkit'
import type { Function } from '../../src/api/types.js'

const ORCHESTRATOR = fileURLToPath(new URL('../../', import.meta.url))
const require = createRequire(import.meta.url)
/** The TypeScript loader tap itself uses, so the controller runs from src/ without a build. */
const TS_LOADER = new URL('dist/esm/import.mjs', `file://${require.resolve('@tapjs/typescript/package.json')}`).href

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The default registry Secret, as the chart creates it in the system namespace. */
export function registrySecret(namespace: string, registryAddress: string, name = 'serverless-registry-config-default') {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name, namespace, labels: { 'serverless.kyma-project.io/config': 'credentials' } },
    stringData: {
      '.dockerconfigjson': JSON.stringify({ auths: { [registryAddress]: { auth: Buffer.from('u:p').toString('base64') } } }),
      username: 'u',
      password: 'p',
      serverAddress: registryAddress,
      registryAddress,
    },
  }
}

export interface ControllerProcess {
  process: Started
  metricsPort: number
  stop(): Promise<void>
  kill9(): void
}

/** Runs controller-main.ts as its own process against the cluster, like a Deployment would. */
export async function startController(cluster: Cluster, env: Record<string, string>): Promise<ControllerProcess> {
  const metricsPort = await freePort()
  const child = start(process.execPath, [`--import=${TS_LOADER}`, 'src/controller-main.ts'], {
    cwd: ORCHESTRATOR,
    env: {
      ...process.env,
      TS_NODE_PROJECT: `${ORCHESTRATOR}tsconfig.json`,
      TS_NODE_TRANSPILE_ONLY: '1',
      KUBECONFIG: cluster.kubeconfigPath,
      APP_METRICS_PORT: String(metricsPort),
      APP_METRICS_HOST: '127.0.0.1',
      APP_LEADER_ELECTION_LEASE_SECONDS: '3',
      POD_NAME: 'controller-under-test',
      ...env,
    },
  })
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok,
    60_000,
    () => `the controller to report ready\n${child.output()}`,
  )
  return {
    process: child,
    metricsPort,
    stop: async () => void (await child.stop()),
    kill9: () => child.child.kill('SIGKILL'),
  }
}

export async function getJson<T>(cluster: Cluster, path: string): Promise<T | undefined> {
  const response = await cluster.api('GET', path)
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.body}`)
  return JSON.parse(response.body) as T
}

export const functionPath = (namespace: string, name: string) => `/apis/serverless.kyma-project.io/v1alpha1/namespaces/${namespace}/functions/${name}`

export function conditionSummary(fn: Function | undefined): string {
  return (fn?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ')
}

export function isReady(fn: Function | undefined): boolean {
  const conditions = fn?.status?.conditions ?? []
  return conditions.length === 3 && conditions.every((c) => c.status === 'True')
}

/** Waits until the Function satisfies `done`; the timeout message shows its conditions and the controller's log. */
export async function waitForFunction(
  cluster: Cluster,
  namespace: string,
  name: string,
  done: (fn: Function | undefined) => boolean,
  timeoutMs = 60_000,
  controller?: ControllerProcess,
): Promise<Function | undefined> {
  let last: Function | undefined
  await waitFor(
    async () => done((last = await getJson<Function>(cluster, functionPath(namespace, name)))),
    timeoutMs,
    () => `Function ${namespace}/${name}; last conditions: ${conditionSummary(last)}\n${controller?.process.output().slice(-3000) ?? ''}`,
  )
  return last
}

interface ListOf<T> {
  items: T[]
}

/** The children of kind `plural` (e.g. 'apis/batch/v1/jobs') a Function owns in a namespace. */
export async function childrenOf<T extends { metadata?: { ownerReferences?: Array<{ uid?: string }> } }>(
  cluster: Cluster,
  namespace: string,
  plural: string,
  uid: string,
): Promise<T[]> {
  const prefix = plural.startsWith('apis/') ? `/${plural.split('/').slice(0, 3).join('/')}` : '/api/v1'
  const list = await getJson<ListOf<T>>(cluster, `${prefix}/namespaces/${namespace}/${plural.split('/').at(-1)}`)
  return (list?.items ?? []).filter((item) => item.metadata?.ownerReferences?.some((ref) => ref.uid === uid))
}
