import type { V1Job } from '@kubernetes/client-node'
import { buildRuntimeConfigMap, runtimeConfigMapName } from '../resources/configmap.js'
import { buildJob, type BuildSource } from '../resources/job.js'
import { appliedHash } from '../resources/meta.js'
import type { Registry } from '../registry/registry.js'
import { CONTINUE, describe, stop, type ControllerContext, type Pass, type StageResult } from './context.js'
import { LABELS } from '../api/types.js'

export function jobSucceeded(job: V1Job): boolean {
  return (job.status?.succeeded ?? 0) > 0 || !!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
}

export function jobFailed(job: V1Job): boolean {
  return (job.status?.failed ?? 0) > 0 || !!job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
}

export function jobRunning(job: V1Job): boolean {
  return !jobSucceeded(job) && !jobFailed(job)
}

function hasLabels(actual: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => actual?.[key] === value)
}

/** The runtime's Dockerfile in the Function's namespace, where the build Job mounts it from. */
async function ensureRuntimeConfigMap(ctx: ControllerContext, pass: Pass): Promise<void> {
  const namespace = pass.fn.metadata.namespace as string
  const desired = buildRuntimeConfigMap(namespace, pass.profile, ctx.templates.dockerfiles[pass.profile.language])
  const existing = ctx.stores.configMaps.get(namespace, runtimeConfigMapName(pass.profile))
  if (appliedHash(existing) !== appliedHash(desired)) ctx.stores.configMaps.remember(await ctx.writer.apply(desired))
}

export interface BuildTarget {
  registry: Registry
  /** Image reference pushed by the build. */
  destination: string
  /** The same image as kubelets pull it; a Deployment already running it needs no build. */
  pullImage: string
  source: BuildSource
}

/**
 * The build Job: one per image. Old Jobs go when the image changes (JobsDeleted); a missing Job is
 * created when a cluster-wide build slot is free (JobCreated); a running one is waited for (JobRunning);
 * a failed one stays failed until the inputs change (JobFailed), and a finished one lets the pass go on.
 */
export async function reconcileBuild(ctx: ControllerContext, pass: Pass, target: BuildTarget, runningImage: string | undefined): Promise<StageResult> {
  const { fn, draft } = pass
  const namespace = fn.metadata.namespace as string
  const key = `${namespace}/${fn.metadata.name}`
  const desired = buildJob(
    fn,
    {
      profile: pass.profile,
      destination: target.destination,
      registrySecretName: target.registry.secretName,
      runtimeConfigMapName: runtimeConfigMapName(pass.profile),
      baseImage: ctx.config.runtimeImages[pass.profile.runtime],
      executorImage: ctx.config.executorImage,
      executorArgs: ctx.config.executorArgs,
      serviceAccountName: ctx.config.buildServiceAccount,
      source: target.source,
    },
    ctx.templates,
  )
  const jobName = desired.metadata!.name as string
  const jobs = ctx.stores.jobs.list(namespace).filter((job) => job.metadata?.labels?.[LABELS.uuid] === fn.metadata.uid)

  const stale = jobs.filter((job) => job.metadata?.name !== jobName)
  if (stale.length > 0) {
    for (const job of stale) {
      await ctx.writer.delete('batch/v1', 'Job', job)
      ctx.stores.jobs.rememberDeleted(namespace, job.metadata?.name as string)
    }
    draft.set('BuildReady', 'Unknown', 'JobsDeleted', `Old Jobs of Function ${describe(fn)} deleted: ${stale.map((j) => j.metadata?.name).join(', ')}`)
    ctx.slots.buildsChanged()
  }

  const job = jobs.find((j) => j.metadata?.name === jobName)
  if (!job) {
    if (runningImage === target.pullImage) {
      // Built before (its Job is gone): the image exists, so the pass goes on without a rebuild.
      if (draft.get('BuildReady')?.status !== 'True') draft.set('BuildReady', 'True', 'JobFinished', `Image ${target.pullImage} of Function ${describe(fn)} already built`)
      return CONTINUE
    }
    await ensureRuntimeConfigMap(ctx, pass)
    if (!ctx.slots.tryReserve(key)) return stop({ requeueAfterMs: ctx.config.buildSlotRequeueMs })
    try {
      ctx.stores.jobs.remember(await ctx.writer.apply(desired))
    } finally {
      ctx.slots.release(key)
    }
    draft.set('BuildReady', 'Unknown', 'JobCreated', `Job ${jobName} created`)
    return stop()
  }

  const labels = desired.metadata!.labels as Record<string, string>
  if (!hasLabels(job.metadata?.labels, labels)) {
    // Only the Job's own labels: its pod template is immutable.
    ctx.stores.jobs.remember(await ctx.writer.mergeLabels({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, labels))
    draft.set('BuildReady', 'Unknown', 'JobUpdated', `Job ${jobName} updated`)
  }
  if (jobSucceeded(job)) {
    draft.set('BuildReady', 'True', 'JobFinished', `Job ${jobName} finished`)
    return CONTINUE
  }
  if (jobFailed(job)) {
    draft.set('BuildReady', 'False', 'JobFailed', `Job ${jobName} failed; Function ${describe(fn)} is rebuilt when its source, dependencies or runtime change`)
    return stop({ requeueAfterMs: ctx.config.requeueAfterFailureMs })
  }
  draft.set('BuildReady', 'Unknown', 'JobRunning', `Job ${jobName} is still in progress`)
  return stop()
}
