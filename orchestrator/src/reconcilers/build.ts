import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node'
import { LABELS } from '../api/types.js'
import { buildRuntimeConfigMap, runtimeConfigMapName } from '../resources/configmap.js'
import { imageName, imageTag } from '../resources/image.js'
import { deploymentName } from '../resources/deployment.js'
import { buildJob } from '../resources/job.js'
import { Conditions } from './conditions.js'
import { filled, type ControllerContext, type Pass, type Phase } from './context.js'
import { differs, plan, refOf, type Plan } from './plan.js'

export function jobSucceeded(job: V1Job): boolean {
  return (job.status?.succeeded ?? 0) > 0 || !!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
}

export function jobFailed(job: V1Job): boolean {
  return (job.status?.failed ?? 0) > 0 || !!job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
}

/**
 * The executor has pushed the image and exited 0. The kubelet reports that a second or more before the pod is
 * Succeeded (it tears the sandbox down first), and the Job controller counts the pod later still: about 2 s of every
 * build that the Deployment need not wait for.
 */
export function executorSucceeded(pods: V1Pod[]): boolean {
  return pods.some((pod) => pod.status?.containerStatuses?.some((status) => status.name === 'executor' && status.state?.terminated?.exitCode === 0))
}

export function jobRunning(job: V1Job): boolean {
  return !jobSucceeded(job) && !jobFailed(job)
}

function hasLabels(actual: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => actual?.[key] === value)
}

/** The Function's Jobs other than the one for its current image go (JobsDeleted). */
export function planOldJobs(observed: { jobs: V1Job[] }, desired: { fn: string; jobName: string }): Plan {
  const stale = observed.jobs.filter((job) => job.metadata?.name !== desired.jobName)
  if (stale.length === 0) return plan()
  return plan({
    writes: stale.map((job) => ({ delete: refOf('batch/v1', 'Job', job) })),
    conditions: [
      Conditions.jobsDeleted(
        desired.fn,
        stale.map((job) => job.metadata?.name as string),
      ),
    ],
  })
}

export interface BuildObserved {
  /** The Job of the current image, if it exists. */
  job: V1Job | undefined
  runtimeConfigMap: V1ConfigMap | undefined
  /** The image the Function's Deployment runs now. */
  deployedImage: string | undefined
  /** BuildReady is True in the status drafted so far. */
  built: boolean
  /** The pods the Job ran (the Job controller labels them with its name). */
  pods: V1Pod[]
}

export interface BuildDesired {
  fn: string
  job: V1Job
  runtimeConfigMap: V1ConfigMap
  /** The image as kubelets pull it. */
  image: string
  retryMs: number
}

/**
 * The build Job: one per image. A missing Job is created, with the runtime's Dockerfile ConfigMap, when a
 * cluster-wide build slot is free (JobCreated); a running one is waited for (JobRunning); a failed one
 * stays failed until the inputs change (JobFailed); a finished one, or one whose executor has exited 0, lets the pass
 * go on (JobFinished).
 */
export function planBuild(observed: BuildObserved, desired: BuildDesired): Plan {
  const name = desired.job.metadata?.name as string
  const { job } = observed
  if (!job) {
    if (observed.deployedImage === desired.image) {
      // Built before (its Job is gone): the image exists, so the pass goes on without a rebuild.
      return plan({ conditions: observed.built ? [] : [Conditions.alreadyBuilt(desired.fn, desired.image)] })
    }
    const configMap = differs(observed.runtimeConfigMap, desired.runtimeConfigMap) ? [{ apply: desired.runtimeConfigMap }] : []
    return plan({ writes: [...configMap, { apply: desired.job }], buildSlot: true, conditions: [Conditions.jobCreated(name)], stop: {} })
  }
  const labels = desired.job.metadata?.labels as Record<string, string>
  // Only the Job's own labels: its pod template is immutable.
  const relabel = hasLabels(job.metadata?.labels, labels)
    ? plan()
    : plan({ writes: [{ label: refOf('batch/v1', 'Job', job), labels }], conditions: [Conditions.jobUpdated(name)] })
  if (jobSucceeded(job) || (!jobFailed(job) && executorSucceeded(observed.pods))) {
    return { ...relabel, conditions: [...relabel.conditions, Conditions.jobFinished(name)] }
  }
  if (jobFailed(job)) {
    return {
      ...relabel,
      conditions: [...relabel.conditions, Conditions.jobFailed(desired.fn, name, buildError(observed.pods))],
      stop: { requeueAfterMs: desired.retryMs },
    }
  }
  return { ...relabel, conditions: [...relabel.conditions, Conditions.jobRunning(name)], stop: {} }
}

/** Lines of a failed build's log that are never the reason: npm's pointers to its own log, notices, blank markers. */
const NOISE = [/A complete log of this run can be found/, /_logs\/\S*debug\S*\.log/, /^npm (ERR!|error|notice)\s*$/, /^npm notice /]

/**
 * Why a build failed, from the end of its log as the kubelet kept it in the executor's termination message
 * (terminationMessagePolicy FallbackToLogsOnError): the tool's first two error lines (npm's or pip's code and
 * refusal come first, advice follows) and kaniko's final line, with kaniko's time and level fields dropped.
 */
export function buildError(pods: V1Pod[]): string | undefined {
  for (const pod of pods) {
    const message = pod.status?.containerStatuses?.find((status) => status.name === 'executor')?.state?.terminated?.message
    if (!message) continue
    const lines = message
      .split('\n')
      .map((line) =>
        line
          .replace(/^time="[^"]*"\s+level=\w+\s+msg=/, '')
          .replace(/^"(.*)"$/, '$1')
          .trim(),
      )
      .filter((line) => line && !NOISE.some((noise) => noise.test(line)))
    const errors = lines.filter((line) => /(ERR!|\berror\b|\bERROR\b|\bError\b)/.test(line))
    const picked = errors.length > 0 ? [...errors.slice(0, 2), lines[lines.length - 1]] : lines.slice(-3)
    return [...new Set(picked)].join(' / ').slice(0, 1000)
  }
  return undefined
}

/** The image the source and the registry make, and the Job that builds it. */
function desiredBuild(ctx: ControllerContext, pass: Pass): NonNullable<Pass['build']> {
  const { fn, profile } = pass
  const source = filled(pass, 'source')
  const registry = filled(pass, 'registry')
  const tag = imageTag(fn, profile, source.kind === 'git' ? source.revision : undefined)
  const image = { destination: imageName(registry.pushAddress, fn, tag), pull: imageName(registry.pullAddress, fn, tag) }
  const job = buildJob(
    fn,
    {
      profile,
      destination: image.destination,
      registrySecretName: registry.secretName,
      runtimeConfigMapName: runtimeConfigMapName(profile),
      baseImage: ctx.config.runtimeImages[profile.runtime],
      executorImage: ctx.config.executorImage,
      executorArgs: ctx.config.executorArgs,
      serviceAccountName: ctx.config.buildServiceAccount,
      source: source.kind === 'git' ? { ...source, fetcherImage: ctx.config.repoFetcherImage } : source,
    },
    ctx.templates,
  )
  return { job, image }
}

/** Old builds: Jobs of earlier images go first, so a running one frees its build slot. Fills `pass.build`. */
export const oldJobsPhase: Phase = {
  step: () => 'deleting old build Jobs',
  async run(ctx, pass) {
    pass.build = desiredBuild(ctx, pass)
    const jobs = ctx.stores.jobs.list(pass.fn.metadata.namespace as string).filter((job) => job.metadata?.labels?.[LABELS.uuid] === pass.fn.metadata.uid)
    return planOldJobs({ jobs }, { fn: pass.key, jobName: pass.build.job.metadata?.name as string })
  },
}

export const buildPhase: Phase = {
  step: () => 'building the image',
  async run(ctx, pass) {
    const namespace = pass.fn.metadata.namespace as string
    const { job, image } = filled(pass, 'build')
    const runtimeConfigMap = buildRuntimeConfigMap(namespace, pass.profile, ctx.templates.dockerfiles[pass.profile.language])
    return planBuild(
      {
        job: ctx.stores.jobs.get(namespace, job.metadata?.name as string),
        runtimeConfigMap: ctx.stores.configMaps.get(namespace, runtimeConfigMap.metadata?.name as string),
        deployedImage: ctx.stores.deployments.get(namespace, deploymentName(pass.fn))?.spec?.template?.spec?.containers?.[0]?.image,
        built: pass.draft.get('BuildReady')?.status === 'True',
        pods: ctx.stores.pods.list(namespace).filter((pod) => pod.metadata?.labels?.['job-name'] === job.metadata?.name),
      },
      { fn: pass.key, job, runtimeConfigMap, image: image.pull, retryMs: ctx.config.requeueAfterFailureMs },
    )
  },
}
