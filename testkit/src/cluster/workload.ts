import { httpCall } from '../http'
import { run } from '../images/run'
import { waitFor } from '../process'
import type { Cluster } from './cluster'

/**
 * A runtime image serving a handler from a ConfigMap, with no build: what Kubernetes alone does with a kless runtime.
 * The real node's test runs it restricted as a Function pod is; the end-to-end benchmark uses it as its baseline.
 */
export interface HandlerWorkload {
  name: string
  namespace?: string
  /** An image reference the node can pull, or has (`cluster.loadImage`). */
  image: string
  /** handler.js, exporting main. */
  handler: string
}

/** A one-replica Deployment of `podSpec`, its pods labelled and selected by `labels`. */
export function oneReplicaDeployment(metadata: { name: string; namespace?: string }, labels: Record<string, string>, podSpec: object): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...metadata, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  }
}

export function handlerWorkload({ name, namespace, image, handler }: HandlerWorkload): object {
  const labels = { app: name }
  const metadata = { name, ...(namespace ? { namespace } : {}) }
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'handler.js': handler, 'package.json': '{}' } },
      oneReplicaDeployment(metadata, labels, {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'function',
            image,
            env: [
              { name: 'MOD_NAME', value: 'handler' },
              { name: 'FUNC_HANDLER', value: 'main' },
            ],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [
              { name: 'source', mountPath: '/kubeless', readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'source', configMap: { name } },
          { name: 'tmp', emptyDir: {} },
        ],
      }),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...metadata, labels },
        spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    ],
  }
}

/**
 * A Service's URL at its ClusterIP, from the machine (through kube-proxy), once kube-proxy routes it and it takes
 * connections: a Deployment is ready before its endpoint reaches kube-proxy's rules. Until kube-proxy has a rule for
 * the ClusterIP, a call leaves by the machine's default route, where the sandbox's egress proxy answers 404 with an
 * empty body, so an answer alone proves nothing.
 */
export async function serviceUrl(cluster: Cluster, namespace: string, name: string, timeoutMs = 15_000): Promise<string> {
  const service = JSON.parse(await cluster.kubectl(['get', 'service', '-n', namespace, name, '-o', 'json'])) as {
    spec: { clusterIP: string; ports: { port: number }[] }
  }
  const { clusterIP, ports } = service.spec
  const url = `http://${clusterIP}:${ports[0].port}/`
  const routed = async () => (await run('iptables', ['-t', 'nat', '-S', 'KUBE-SERVICES'])).includes(`-d ${clusterIP}/32 `)
  await waitFor(
    async () => (await routed()) && httpCall(url, { timeoutMs: 3000 }).then(() => true),
    timeoutMs,
    () => `${url} to be routed by kube-proxy and take connections`,
  )
  return url
}
