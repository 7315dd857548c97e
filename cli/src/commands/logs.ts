/** `kless logs`: every pod of a Function, each line prefixed by its pod's name; build pods too with --build. */
import { LABELS } from '@kless/orchestrator/api'
import { connect, podsPath, type ClusterOptions } from '../kube.js'
import { dim } from '../output.js'

export interface LogsOptions extends ClusterOptions {
  follow: boolean
  build: boolean
  tail?: number
}

interface Pod {
  metadata: { name: string; labels?: Record<string, string> }
  spec: { containers: { name: string }[] }
}

export async function logs(name: string, options: LogsOptions): Promise<void> {
  const kube = await connect(options)
  const selector = `${LABELS.functionName}=${name}${options.build ? '' : `,${LABELS.resource}=deployment`}`
  const pods = await kube.json<{ items: Pod[] }>('GET', `${podsPath(kube.namespace)}?labelSelector=${encodeURIComponent(selector)}`)
  if (pods.items.length === 0) throw new Error(`Function ${kube.namespace}/${name} has no ${options.build ? '' : 'running '}pods`)
  const width = Math.max(...pods.items.map((pod) => pod.metadata.name.length))
  await Promise.all(
    pods.items.map(async (pod) => {
      const isBuild = pod.metadata.labels?.[LABELS.resource] !== 'deployment'
      const container = isBuild ? 'executor' : pod.spec.containers[0].name
      const query = new URLSearchParams({
        container,
        follow: String(options.follow),
        ...(options.tail !== undefined ? { tailLines: String(options.tail) } : {}),
      })
      const prefix = dim(`${pod.metadata.name.padEnd(width)} | `)
      await kube.streamLines(`${podsPath(kube.namespace, pod.metadata.name)}/log?${query}`, (line) => console.log(prefix + line))
    }),
  )
}
