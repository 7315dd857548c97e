import type { V1Deployment } from '@kubernetes/client-node'
import { buildAutoscaler } from '../resources/autoscaler.js'
import { buildDeployment, deploymentName, minReplicas, scalingEnabled } from '../resources/deployment.js'
import { appliedHash } from '../resources/meta.js'
import { buildService } from '../resources/service.js'
import { CONTINUE, describe, stop, type ControllerContext, type Pass, type StageResult } from './context.js'

export type DeploymentState = { state: 'ready' | 'waiting' } | { state: 'failed'; why: string }

/** Ready once the newest ReplicaSet is fully available; failed when the rollout gave up or pods cannot be made. */
export function deploymentState(deployment: V1Deployment): DeploymentState {
  const conditions = deployment.status?.conditions ?? []
  const condition = (type: string) => conditions.find((c) => c.type === type)
  const progressing = condition('Progressing')
  const replicaFailure = condition('ReplicaFailure')
  if (progressing?.status === 'False' || replicaFailure?.status === 'True') {
    const causes = [progressing?.status === 'False' ? progressing : undefined, replicaFailure?.status === 'True' ? replicaFailure : undefined]
    const why = causes.flatMap((c) => (c ? [`${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim()] : []))
    return { state: 'failed', why: why.join('; ') }
  }
  const current = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  const available = condition('Available')?.status === 'True'
  const rolledOut = progressing?.status === 'True' && progressing.reason === 'NewReplicaSetAvailable'
  return current && available && rolledOut ? { state: 'ready' } : { state: 'waiting' }
}

/**
 * The Deployment, its Service and (while minReplicas < maxReplicas) its autoscaler: created or updated
 * to match the Function, then Running reports the Deployment's readiness.
 */
export async function reconcileWorkload(ctx: ControllerContext, pass: Pass, image: string): Promise<StageResult> {
  const { fn, draft } = pass
  const namespace = fn.metadata.namespace as string
  const { deployments, services, autoscalers } = ctx.stores
  let changed = false

  const name = deploymentName(fn)
  const existing = deployments.get(namespace, name)
  const scaling = scalingEnabled(fn)
  const desired = buildDeployment(fn, {
    profile: pass.profile,
    image,
    serviceAccountName: ctx.config.functionServiceAccount,
    progressDeadlineSeconds: ctx.config.progressDeadlineSeconds,
    replicas: scaling ? (existing?.spec?.replicas ?? minReplicas(fn)) : minReplicas(fn),
    scalingEnabled: scaling,
  })
  if (appliedHash(existing) !== appliedHash(desired)) {
    deployments.remember(await ctx.writer.apply(desired))
    draft.set('Running', 'Unknown', existing ? 'DeploymentUpdated' : 'DeploymentCreated', `Deployment ${name} ${existing ? 'updated' : 'created'}`)
    changed = true
  }

  const service = buildService(fn)
  const existingService = services.get(namespace, service.metadata!.name as string)
  if (appliedHash(existingService) !== appliedHash(service)) {
    services.remember(await ctx.writer.apply(service))
    draft.set('Running', 'Unknown', existingService ? 'ServiceUpdated' : 'ServiceCreated', `Service ${service.metadata!.name} ${existingService ? 'updated' : 'created'}`)
    changed = true
  }

  const autoscaler = buildAutoscaler(fn, ctx.config.targetCpuUtilizationPercentage)
  const autoscalerName = autoscaler.metadata!.name as string
  const existingAutoscaler = autoscalers.get(namespace, autoscalerName)
  if (scaling && appliedHash(existingAutoscaler) !== appliedHash(autoscaler)) {
    autoscalers.remember(await ctx.writer.apply(autoscaler))
    draft.set(
      'Running',
      'Unknown',
      existingAutoscaler ? 'HorizontalPodAutoscalerUpdated' : 'HorizontalPodAutoscalerCreated',
      `HorizontalPodAutoscaler ${autoscalerName} ${existingAutoscaler ? 'updated' : 'created'}`,
    )
    changed = true
  } else if (!scaling && existingAutoscaler) {
    // minReplicas == maxReplicas: nothing to scale, and a leftover autoscaler would fight the fixed count.
    await ctx.writer.delete('autoscaling/v2', 'HorizontalPodAutoscaler', existingAutoscaler)
    autoscalers.rememberDeleted(namespace, autoscalerName)
  }
  if (changed) return stop()

  const deployment = deployments.get(namespace, name) as V1Deployment
  const state = deploymentState(deployment)
  if (state.state === 'ready') {
    draft.set('Running', 'True', 'DeploymentReady', `Deployment ${name} is ready`)
    return stop({ requeueAfterMs: ctx.config.requeueReadyMs })
  }
  if (state.state === 'failed') {
    draft.set('Running', 'False', 'DeploymentFailed', `Deployment ${name} of Function ${describe(fn)} failed: ${state.why}`)
    return stop({ requeueAfterMs: ctx.config.requeueAfterFailureMs })
  }
  draft.set('Running', 'Unknown', 'DeploymentWaiting', `Deployment ${name} is not ready yet`)
  return CONTINUE
}
