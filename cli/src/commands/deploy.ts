/**
 * `kless deploy`: config.yaml to a Function (and GitRepository) by server-side apply, then the Function's conditions
 * as they change, with the build pod's log streamed while it runs, until it is ready, fails or the timeout passes.
 * `--dry-run` needs no cluster: the webhooks' own defaulting and validation show what the API server would store.
 */
import { admitOffline, CONDITION_TYPES, LABELS, type Condition, type Function, type GitRepository } from '@kless/orchestrator/api'
import { ApiError, connect, functionsPath, gitRepositoriesPath, podsPath, type ClusterOptions, type Kube } from '../kube.js'
import { dim, red, statusMark } from '../output.js'
import { toYaml, deployObjects, readConfig } from '../workspace.js'

export interface DeployOptions extends ClusterOptions {
  filename: string
  dryRun: boolean
  output: 'yaml' | 'json'
  timeout: number
}

/** The work failed (exit 1); the message says why. */
export class DeployFailed extends Error {}

const FIELD_MANAGER = 'kless'
const POLL_MS = 500
/** How long a finished build's log may take to be read once the Function is ready. */
const LOG_GRACE_MS = 10_000
// A spec change the controller has nothing to do for leaves every condition as it was; this long without a change,
// the conditions it shows are the answer.
const QUIET_MS = 10_000

function printObjects(objects: (Function | GitRepository)[], output: 'yaml' | 'json'): string {
  if (output === 'json') return JSON.stringify(objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects }, null, 2)
  return objects.map((object) => toYaml(object)).join('---\n')
}

async function apply<T extends Function | GitRepository>(kube: Kube, path: string, object: T): Promise<T> {
  // JSON is YAML, which server-side apply takes; force: this CLI owns the fields config.yaml describes.
  return kube.json<T>('PATCH', `${path}?fieldManager=${FIELD_MANAGER}&force=true`, object, 'application/apply-patch+yaml')
}

async function getFunction(kube: Kube, namespace: string, name: string): Promise<Function | undefined> {
  try {
    return await kube.json<Function>('GET', functionsPath(namespace, name))
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    throw err
  }
}

const conditionKey = (condition: Condition | undefined) =>
  condition ? [condition.status, condition.reason, condition.message, condition.lastTransitionTime].join('|') : ''
const conditionOf = (fn: Function | undefined, type: string) => fn?.status?.conditions?.find((condition) => condition.type === type)

function describeCondition(condition: Condition): string {
  const text = `${statusMark(condition.status)} ${condition.type.padEnd(18)} ${condition.reason ?? ''}${condition.message ? `: ${condition.message}` : ''}`
  return condition.status === 'False' ? red(text) : text
}

/**
 * Follows the newest build pod's executor log while the build runs; resolves when it ends or `signal` aborts. A
 * build can end between two tries to attach (the container had not started on the last one): once `buildEnded()`,
 * one more try reads the finished container's whole log, and then it stops. A log it never got is said on stderr,
 * with the reason.
 */
async function streamBuildLog(kube: Kube, fn: Function, since: number, signal: AbortSignal, buildEnded: () => boolean): Promise<void> {
  const namespace = fn.metadata.namespace as string
  const selector = encodeURIComponent(`${LABELS.functionName}=${fn.metadata.name},${LABELS.resource}!=deployment`)
  let missing = 'no build pod was found'
  while (!signal.aborted) {
    const lastTry = buildEnded()
    const pods = await kube.json<{ items: { metadata: { name: string; creationTimestamp: string } }[] }>(
      'GET',
      `${podsPath(namespace)}?labelSelector=${selector}`,
    )
    // creationTimestamp has whole seconds: a pod created in the second deploy started is still this deploy's.
    const pod = pods.items
      .filter((item) => Date.parse(item.metadata.creationTimestamp) >= Math.floor(since / 1000) * 1000 - 1000)
      .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))[0]
    if (pod) {
      let lines = 0
      const printLine = (line: string) => {
        lines++
        console.log(dim(`  build | ${line}`))
      }
      const failed = await kube.streamLines(`${podsPath(namespace, pod.metadata.name)}/log?container=executor&follow=true`, printLine, signal).then(
        () => undefined,
        (err: Error) => err, // the executor has not started yet
      )
      if (!failed && lines > 0) return
      missing = `pod ${pod.metadata.name}: ${failed ? failed.message : 'the log was empty'}`
    }
    if (lastTry) {
      console.error(`kless: the build log could not be read (${missing})`)
      return
    }
    await new Promise((done) => setTimeout(done, POLL_MS))
  }
}

/** Prints each condition change until all three are True (0), one turns False (DeployFailed) or the timeout passes. */
async function followProgress(kube: Kube, before: Function | undefined, applied: Function, options: DeployOptions): Promise<void> {
  const { name, namespace } = applied.metadata as { name: string; namespace: string }
  const startedAt = Date.now()
  if (before && before.metadata.generation === applied.metadata.generation && CONDITION_TYPES.every((type) => conditionOf(before, type)?.status === 'True')) {
    console.log(`kless: Function ${namespace}/${name} is unchanged and ready`)
    return
  }
  const printed = new Map<string, string>()
  let changedAt: number | undefined
  const build = new AbortController()
  let buildLog: Promise<void> | undefined
  let buildEnded = false
  try {
    for (;;) {
      const fn = await getFunction(kube, namespace, name)
      if (!fn) throw new DeployFailed(`Function ${namespace}/${name} was deleted while deploying`)
      for (const type of CONDITION_TYPES) {
        const condition = conditionOf(fn, type)
        if (!condition || conditionKey(condition) === conditionKey(conditionOf(before, type))) continue
        changedAt ??= Date.now()
        if (printed.get(type) !== conditionKey(condition)) {
          printed.set(type, conditionKey(condition))
          console.log(describeCondition(condition))
        }
        if (type === 'BuildReady' && condition.status === 'Unknown') buildLog ??= streamBuildLog(kube, fn, startedAt, build.signal, () => buildEnded)
        if (type === 'BuildReady' && condition.status !== 'Unknown') buildEnded = true
        if (condition.status === 'False') throw new DeployFailed(`${type} is False (${condition.reason}): ${condition.message ?? ''}`)
      }
      const ready = CONDITION_TYPES.every((type) => conditionOf(fn, type)?.status === 'True')
      if (ready && (changedAt !== undefined || Date.now() - startedAt > QUIET_MS)) {
        // The build's log comes whole before the verdict, even when the build ended before the stream attached.
        buildEnded = true
        if (buildLog) await Promise.race([buildLog, new Promise((done) => setTimeout(done, LOG_GRACE_MS))])
        console.log(
          `kless: Function ${namespace}/${name} is ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s); call it with \`kless invoke ${name} -n ${namespace}\``,
        )
        return
      }
      if (Date.now() - startedAt > options.timeout * 1000) {
        const waiting = CONDITION_TYPES.map((type) => conditionOf(fn, type)).find((condition) => condition?.status !== 'True')
        throw new DeployFailed(
          `Function ${namespace}/${name} was not ready within ${options.timeout} s; ${waiting ? `${waiting.type} is ${waiting.status} (${waiting.reason ?? 'no reason yet'})` : 'no condition yet'}`,
        )
      }
      await new Promise((done) => setTimeout(done, POLL_MS))
    }
  } finally {
    build.abort()
    await buildLog
  }
}

export async function deploy(options: DeployOptions): Promise<void> {
  const config = readConfig(options.filename)
  const kube = options.dryRun ? undefined : await connect(options)
  const namespace = options.namespace ?? config.namespace ?? kube?.namespace ?? 'default'
  const objects = deployObjects(config, options.filename, namespace)
  const ordered: (Function | GitRepository)[] = [...(objects.repository ? [objects.repository] : []), objects.function]

  if (!kube) {
    const admitted = ordered.map((object) => admitOffline(object))
    const denied = admitted.find((verdict) => !verdict.allowed)
    if (denied && !denied.allowed) throw new DeployFailed(denied.message)
    console.log(printObjects(admitted.map((verdict) => (verdict.allowed ? verdict.object : undefined)) as (Function | GitRepository)[], options.output))
    return
  }
  if (objects.repository) await apply(kube, gitRepositoriesPath(namespace, objects.repository.metadata.name), objects.repository)
  const before = await getFunction(kube, namespace, config.name)
  const applied = await apply(kube, functionsPath(namespace, config.name), objects.function)
  console.log(`kless: applied Function ${namespace}/${config.name} (generation ${applied.metadata.generation})`)
  await followProgress(kube, before, applied, options)
}
