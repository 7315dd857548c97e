import type { V1Deployment, V1Pod, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import { LABELS, type Function } from '../api/types.js'
import { autoscalerName, buildAutoscaler } from '../resources/autoscaler.js'
import { buildDeployment, deploymentName, minReplicas, scalingEnabled, type DeploymentInputs } from '../resources/deployment.js'
import { buildService } from '../resources/service.js'
import { Conditions } from './conditions.js'
import { filled, type Phase } from './context.js'
import { differs, plan, refOf, type Plan, type Write } from './plan.js'
import type { ConditionChange } from './status.js'

export type DeploymentState = { state: 'ready' | 'waiting' } | { state: 'failed'; why: string }

/** Waiting reasons of a container that will not start by itself. */
const STUCK_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerError', 'CreateContainerConfigError'])
/** A crash loop this many restarts deep is a failure (about half a minute with the kubelet's back-off of 10 s, 20 s, …). */
export const CRASH_LOOP_RESTARTS = 2

/**
 * Why the pods of `image` cannot run, if they cannot: a container that cannot be pulled or created, or
 * that keeps crashing. Found from the pods' state, long before the rollout's progress deadline passes.
 */
export function podFailure(pods: V1Pod[], image: string): string | undefined {
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp || !pod.spec?.containers.some((c) => c.image === image)) continue
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting
      if (!waiting?.reason) continue
      const crashLoop = waiting.reason === 'CrashLoopBackOff' && status.restartCount >= CRASH_LOOP_RESTARTS
      if (!STUCK_REASONS.has(waiting.reason) && !crashLoop) continue
      const restarts = crashLoop ? `, restarted ${status.restartCount} times` : ''
      return `pod ${pod.metadata?.name}: container ${status.name} ${waiting.reason}${restarts}${waiting.message ? `: ${waiting.message}` : ''}`
    }
  }
  return undefined
}

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

export interface WorkloadObserved {
  deployment: V1Deployment | undefined
  service: V1Service | undefined
  autoscaler: V2HorizontalPodAutoscaler | undefined
  /** The pods of the Function's Deployment. */
  pods: V1Pod[]
}

export interface WorkloadDesired {
  fn: Function
  /** The Function's namespace/name. */
  key: string
  deployment: Omit<DeploymentInputs, 'replicas' | 'scalingEnabled'>
  targetCpuUtilizationPercentage: number
  readyRequeueMs: number
  failedRequeueMs: number
}

/**
 * The Deployment, its Service and (while minReplicas < maxReplicas) its autoscaler, created or updated to
 * match the Function; then Running reports the Deployment's readiness, or its failure as the pods show it.
 */
export function planWorkload(observed: WorkloadObserved, desired: WorkloadDesired): Plan {
  const { fn } = desired
  const scaling = scalingEnabled(fn)
  const writes: Write[] = []
  const conditions: ConditionChange[] = []
  const name = deploymentName(fn)
  // While the autoscaler owns scaling, the Deployment keeps the count it has.
  const replicas = scaling ? (observed.deployment?.spec?.replicas ?? minReplicas(fn)) : minReplicas(fn)
  const deployment = buildDeployment(fn, { ...desired.deployment, replicas, scalingEnabled: scaling })
  if (differs(observed.deployment, deployment)) {
    writes.push({ apply: deployment })
    conditions.push(observed.deployment ? Conditions.deploymentUpdated(name) : Conditions.deploymentCreated(name))
  }
  const service = buildService(fn)
  if (differs(observed.service, service)) {
    writes.push({ apply: service })
    conditions.push(observed.service ? Conditions.serviceUpdated(fn.metadata.name as string) : Conditions.serviceCreated(fn.metadata.name as string))
  }
  const autoscaler = buildAutoscaler(fn, desired.targetCpuUtilizationPercentage)
  const autoscalerName = autoscaler.metadata?.name as string
  if (scaling && differs(observed.autoscaler, autoscaler)) {
    writes.push({ apply: autoscaler })
    conditions.push(observed.autoscaler ? Conditions.autoscalerUpdated(autoscalerName) : Conditions.autoscalerCreated(autoscalerName))
  }
  // minReplicas == maxReplicas: nothing to scale, and a leftover autoscaler would fight the fixed count.
  const removal: Write[] = !scaling && observed.autoscaler ? [{ delete: refOf('autoscaling/v2', 'HorizontalPodAutoscaler', observed.autoscaler) }] : []
  // Something changed: its watch events bring the next pass, which judges the new state.
  if (writes.length > 0) return plan({ writes: [...writes, ...removal], conditions, stop: {} })

  const failure = podFailure(observed.pods, desired.deployment.image)
  const state: DeploymentState = failure ? { state: 'failed', why: failure } : deploymentState(observed.deployment as V1Deployment)
  if (state.state === 'ready')
    return plan({ writes: removal, conditions: [Conditions.deploymentReady(name)], stop: { requeueAfterMs: desired.readyRequeueMs } })
  if (state.state === 'failed') {
    return plan({ writes: removal, conditions: [Conditions.deploymentFailed(desired.key, name, state.why)], stop: { requeueAfterMs: desired.failedRequeueMs } })
  }
  return plan({ writes: removal, conditions: [Conditions.deploymentWaiting(name)] })
}

/** Workload: Deployment, Service and autoscaler of the built image, and whether it runs. */
export const workloadPhase: Phase = {
  step: () => 'deploying the workload',
  async run(ctx, pass) {
    const { fn } = pass
    const namespace = fn.metadata.namespace as string
    const { deployments, services, autoscalers, pods } = ctx.stores
    return planWorkload(
      {
        deployment: deployments.get(namespace, deploymentName(fn)),
        service: services.get(namespace, fn.metadata.name as string),
        autoscaler: autoscalers.get(namespace, autoscalerName(fn)),
        pods: pods
          .list(namespace)
          .filter((pod) => pod.metadata?.labels?.[LABELS.uuid] === fn.metadata.uid && pod.metadata?.labels?.[LABELS.resource] === 'deployment'),
      },
      {
        fn,
        key: pass.key,
        deployment: {
          profile: pass.profile,
          image: filled(pass, 'build').image.pull,
          serviceAccountName: ctx.config.functionServiceAccount,
          progressDeadlineSeconds: ctx.config.progressDeadlineSeconds,
        },
        targetCpuUtilizationPercentage: ctx.config.targetCpuUtilizationPercentage,
        // A ready Git Function is looked at again at the Git interval: nothing in the cluster changes when its
        // branch gets a commit.
        readyRequeueMs: fn.spec.type === 'git' ? Math.min(ctx.config.requeueReadyMs, ctx.config.gitRequeueMs) : ctx.config.requeueReadyMs,
        failedRequeueMs: ctx.config.requeueAfterFailureMs,
      },
    )
  },
}
