/** `kless list` and `kless status`: the CRD's printer columns, and for one Function its conditions, image, replicas and URL. */
import { CONDITION_TYPES, LABELS, type Function } from '@kless/orchestrator/api'
import { connect, functionsPath, type ClusterOptions } from '../kube.js'
import { age, statusMark, table } from '../output.js'

interface Table {
  columnDefinitions: { name: string; type: string }[]
  rows: { cells: unknown[] }[]
}

/** The API server renders the CRD's additionalPrinterColumns itself, dates as ages, as kubectl shows them. */
export async function list(options: ClusterOptions): Promise<string> {
  const kube = await connect(options)
  const reply = await kube.call('GET', functionsPath(kube.namespace), { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })
  if (reply.status !== 200) throw new Error(`listing Functions in ${kube.namespace}: ${reply.body.toString()}`)
  const answer = JSON.parse(reply.body.toString()) as Table
  if (answer.rows.length === 0) return `No Functions in namespace ${kube.namespace}.`
  const rows = answer.rows.map((row) => row.cells.map((cell) => String(cell ?? '')))
  return table(
    answer.columnDefinitions.map((column) => column.name.toUpperCase()),
    rows,
  )
}

interface Deployment {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } }
  status?: { readyReplicas?: number }
}

export async function status(name: string, options: ClusterOptions): Promise<string> {
  const kube = await connect(options)
  const fn = await kube.json<Function>('GET', functionsPath(kube.namespace, name))
  const selector = encodeURIComponent(`${LABELS.functionName}=${name}`)
  const deployments = await kube.json<{ items: Deployment[] }>('GET', `/apis/apps/v1/namespaces/${kube.namespace}/deployments?labelSelector=${selector}`)
  const deployment = deployments.items[0]
  const byType = (type: string) => CONDITION_TYPES.indexOf(type as (typeof CONDITION_TYPES)[number])
  const conditions = [...(fn.status?.conditions ?? [])]
    .sort((a, b) => byType(a.type) - byType(b.type))
    .map((condition) => [condition.type, statusMark(condition.status), condition.reason ?? '', age(condition.lastTransitionTime), condition.message ?? ''])
  return [
    `Function ${kube.namespace}/${name} (runtime ${fn.spec.runtime ?? ''}, generation ${fn.metadata.generation})`,
    '',
    table(['CONDITION', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], conditions),
    '',
    `image:     ${deployment?.spec.template.spec.containers[0]?.image ?? '<not built yet>'}`,
    `replicas:  ${deployment ? `${deployment.status?.readyReplicas ?? 0}/${deployment.spec.replicas ?? 0} ready` : '<no Deployment yet>'} (min ${fn.spec.minReplicas ?? '-'}, max ${fn.spec.maxReplicas ?? '-'})`,
    `url:       http://${name}.${kube.namespace}.svc.cluster.local/ (in the cluster); from here: kless invoke ${name} -n ${kube.namespace}`,
  ].join('\n')
}
