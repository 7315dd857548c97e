/** What end-to-end tests on a real node ask of the platform testkit installs (installPlatform) and of its Functions. */
import { httpCall, serviceUrl, SYSTEM_NAMESPACE, waitFor, type Cluster } from '@kless/testkit'
import type { Function, GitRepository } from '../../src/api/types.js'
import { conditionSummary, functionPath, getJson } from '../cluster/harness.js'

export { GIT_POLL_SECONDS, installPlatform, SYSTEM_NAMESPACE } from '@kless/testkit'

export const httpGet = (url: string, timeoutMs?: number) => httpCall(url, { timeoutMs })
export const httpPost = (url: string, body: Buffer, contentType?: string) => httpCall(url, { method: 'POST', body, contentType })

export function reasons(fn: Function): Record<string, string | undefined> {
  return Object.fromEntries((fn.status?.conditions ?? []).map((condition) => [condition.type, condition.reason]))
}

/** Names of the Function's running pods (not its build pods). */
export async function podsOf(cluster: Cluster, namespace: string, name: string): Promise<string[]> {
  const pods = JSON.parse(
    await cluster.kubectl([
      'get',
      'pods',
      '-n',
      namespace,
      '-l',
      `serverless.kyma-project.io/function-name=${name},serverless.kyma-project.io/resource=deployment`,
      '-o',
      'json',
    ]),
  ) as { items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] }
  return pods.items.filter((pod) => pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name)
}

/** Children of a Function (by owner uid) still in the namespace, as "Kind/name". */
export async function childrenLeft(cluster: Cluster, namespace: string, uid: string): Promise<string[]> {
  const listed = JSON.parse(await cluster.kubectl(['get', 'configmaps,jobs,deployments,services,horizontalpodautoscalers', '-n', namespace, '-o', 'json'])) as {
    items: { kind: string; metadata: { name: string; ownerReferences?: { uid: string }[] } }[]
  }
  return listed.items.filter((item) => item.metadata.ownerReferences?.some((owner) => owner.uid === uid)).map((item) => `${item.kind}/${item.metadata.name}`)
}

/** The Function's Service at its ClusterIP, once kube-proxy routes it. */
export const functionUrl = (cluster: Cluster, namespace: string, name: string) => serviceUrl(cluster, namespace, name)

/** Waits until the Function satisfies `done`; the timeout message names its conditions, its pods and the controller's log. */
export async function waitForFunctionOnNode(
  cluster: Cluster,
  namespace: string,
  name: string,
  done: (fn: Function | undefined) => boolean,
  timeoutMs: number,
): Promise<Function> {
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

export function condition(fn: Function | undefined, type: string) {
  return fn?.status?.conditions?.find((entry) => entry.type === type)
}

/** A GitRepository at `url` whose `auth` Secret holds the credentials. */
export function gitRepositoryOf(namespace: string, name: string, url: string, auth: GitRepository['spec']['auth']): GitRepository {
  return { apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'GitRepository', metadata: { name, namespace }, spec: { url, auth } }
}

/** A Function with the webhook's defaults for everything not given. */
export function functionOf(namespace: string, name: string, source: string, spec: Partial<Function['spec']> = {}): Function {
  return { apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'Function', metadata: { name, namespace }, spec: { source, ...spec } } as Function
}

async function functionDeployment(cluster: Cluster, namespace: string, name: string) {
  const list = JSON.parse(
    await cluster.kubectl(['get', 'deployments', '-n', namespace, '-l', `serverless.kyma-project.io/function-name=${name}`, '-o', 'json']),
  ) as {
    items: { spec: { template: { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] } } } }[]
  }
  return list.items[0].spec.template.spec.containers[0]
}

export async function functionImage(cluster: Cluster, namespace: string, name: string): Promise<string> {
  return (await functionDeployment(cluster, namespace, name)).image
}

export async function functionEnvOf(cluster: Cluster, namespace: string, name: string): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(((await functionDeployment(cluster, namespace, name)).env ?? []).map((entry) => [entry.name, entry.value]))
}

export async function jobsOf(cluster: Cluster, namespace: string): Promise<string[]> {
  return (await cluster.kubectl(['get', 'jobs', '-n', namespace, '-o', 'name']))
    .split('\n')
    .filter(Boolean)
    .map((name) => name.replace(/^job\.batch\//, ''))
    .sort()
}

/** GETs `url` every 50 ms on new connections until stopped; what failed is kept, with the time it happened. */
export function requestLoop(url: string) {
  const failures: string[] = []
  let count = 0
  let last = ''
  let running = true
  const started = Date.now()
  void (async () => {
    while (running) {
      const at = ((Date.now() - started) / 1000).toFixed(1)
      await httpGet(url, 5000).then(
        (answer) => {
          count++
          if (answer.status === 200) last = answer.body
          else failures.push(`${at} s: ${answer.status} ${answer.body.slice(0, 80)}`)
        },
        (err: Error) => failures.push(`${at} s: ${err.message}`),
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    last: () => last,
    stop: () => {
      running = false
      return { count, failures }
    },
  }
}
