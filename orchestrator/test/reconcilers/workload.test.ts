import t from 'tap'
import type { V1Deployment, V1DeploymentCondition, V1Pod } from '@kubernetes/client-node'
import type { FunctionSpec } from '../../src/api/types.js'
import { buildAutoscaler } from '../../src/resources/autoscaler.js'
import { buildDeployment, deploymentName } from '../../src/resources/deployment.js'
import { buildService } from '../../src/resources/service.js'
import { deploymentState, planWorkload, podFailure, type WorkloadObserved } from '../../src/reconcilers/workload.js'
import { makeFunction, profileOf } from '../fixtures.js'
import { planRows } from './rows.js'

const IMAGE = 'registry.local:5000/demo-hello:abc'
const profile = profileOf('nodejs12')
const inputs = { profile, image: IMAGE, serviceAccountName: 'serverless-function', progressDeadlineSeconds: 600 }
const desiredFor = (spec: Partial<FunctionSpec> = {}) => ({
  fn: makeFunction({ minReplicas: 1, maxReplicas: 1, ...spec }),
  key: 'demo/hello',
  deployment: inputs,
  targetCpuUtilizationPercentage: 50,
  readyRequeueMs: 300_000,
  failedRequeueMs: 60_000,
})
const fixed = desiredFor()
const name = deploymentName(fixed.fn)

const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }
const rolledOut = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }
const deadline = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' }
/** The Deployment as applied for `spec`, with the rollout state the Deployment controller reported. */
const deployed = (conditions: Array<Partial<V1DeploymentCondition>>, spec: Partial<FunctionSpec> = {}, replicas = 1): V1Deployment => {
  const desired = desiredFor(spec)
  const deployment = buildDeployment(desired.fn, {
    ...inputs,
    replicas,
    scalingEnabled: (desired.fn.spec.maxReplicas ?? 1) > (desired.fn.spec.minReplicas ?? 1),
  })
  return {
    ...deployment,
    metadata: { ...deployment.metadata, generation: 1 },
    status: { observedGeneration: 1, conditions: conditions as V1DeploymentCondition[] },
  }
}
const pod = (waiting: { reason: string; message?: string } | undefined, restartCount = 0, image = IMAGE): V1Pod => ({
  metadata: { name: 'hello-abc-1' },
  spec: { containers: [{ name: 'function', image }] },
  status: { containerStatuses: [{ name: 'function', image, imageID: '', ready: false, restartCount, state: waiting ? { waiting } : { running: {} } }] },
})
const settled: WorkloadObserved = { deployment: deployed([available, rolledOut]), service: buildService(fixed.fn), autoscaler: undefined, pods: [] }

t.test('workload', async (t) => {
  planRows<WorkloadObserved>(
    t,
    [
      {
        name: 'new: Deployment and Service are created',
        observed: { deployment: undefined, service: undefined, autoscaler: undefined, pods: [] },
        want: {
          writes: [`apply Deployment ${name}`, 'apply Service hello'],
          conditions: ['Running Unknown DeploymentCreated', 'Running Unknown ServiceCreated'],
          stop: {},
        },
      },
      {
        name: 'Ready: DeploymentReady, looked at again later',
        observed: settled,
        want: { writes: [], conditions: ['Running True DeploymentReady'], stop: { requeueAfterMs: 300_000 } },
      },
      {
        name: 'Waiting: the rollout is under way',
        observed: { ...settled, deployment: deployed([available, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }]) },
        want: { writes: [], conditions: ['Running Unknown DeploymentWaiting'] },
      },
      {
        name: 'Failed: the progress deadline passed',
        observed: { ...settled, deployment: deployed([deadline]) },
        want: {
          conditions: ['Running False DeploymentFailed'],
          messages: [`Deployment ${name} of Function demo/hello failed: Progressing: ProgressDeadlineExceeded took too long`],
          stop: { requeueAfterMs: 60_000 },
        },
      },
      {
        name: 'Failed: the pods crash-loop, long before the deadline',
        observed: { ...settled, deployment: deployed([available]), pods: [pod({ reason: 'CrashLoopBackOff', message: 'back-off 40s' }, 3)] },
        want: {
          conditions: ['Running False DeploymentFailed'],
          messages: [/pod hello-abc-1: container function CrashLoopBackOff, restarted 3 times: back-off 40s/],
          stop: { requeueAfterMs: 60_000 },
        },
      },
      {
        name: 'Failed: the image cannot be pulled',
        observed: { ...settled, deployment: deployed([available]), pods: [pod({ reason: 'ImagePullBackOff', message: 'Back-off pulling image' })] },
        want: { conditions: ['Running False DeploymentFailed'], messages: [/ImagePullBackOff: Back-off pulling image/], stop: { requeueAfterMs: 60_000 } },
      },
      {
        name: 'env-only change: the Deployment is updated, nothing else',
        observed: settled,
        desired: desiredFor({ env: [{ name: 'GREETING', value: 'hey' }] }),
        want: { writes: [`apply Deployment ${name}`], conditions: ['Running Unknown DeploymentUpdated'], stop: {} },
      },
      {
        name: 'replicas 1/1 → 2/2: the Deployment gets two',
        observed: settled,
        desired: desiredFor({ minReplicas: 2, maxReplicas: 2 }),
        want: { writes: [`apply Deployment ${name}`], conditions: ['Running Unknown DeploymentUpdated'], stop: {} },
      },
      {
        name: 'HPA on (1/1 → 1/3): the autoscaler is created',
        observed: settled,
        desired: desiredFor({ maxReplicas: 3 }),
        want: {
          writes: [`apply Deployment ${name}`, `apply HorizontalPodAutoscaler ${buildAutoscaler(fixed.fn, 50).metadata?.name}`],
          conditions: ['Running Unknown DeploymentUpdated', 'Running Unknown HorizontalPodAutoscalerCreated'],
          stop: {},
        },
      },
      {
        name: 'HPA on, and it scaled the Deployment to 3: the count is left alone',
        desired: desiredFor({ maxReplicas: 3 }),
        observed: {
          ...settled,
          deployment: deployed([available, rolledOut], { maxReplicas: 3 }, 3),
          autoscaler: buildAutoscaler(desiredFor({ maxReplicas: 3 }).fn, 50),
        },
        want: { writes: [], conditions: ['Running True DeploymentReady'], stop: { requeueAfterMs: 300_000 } },
      },
      {
        name: 'HPA off (1/3 → 1/1): the autoscaler is deleted',
        observed: { ...settled, autoscaler: buildAutoscaler(desiredFor({ maxReplicas: 3 }).fn, 50) },
        want: {
          writes: [`delete HorizontalPodAutoscaler ${buildAutoscaler(fixed.fn, 50).metadata?.name}`],
          conditions: ['Running True DeploymentReady'],
          stop: { requeueAfterMs: 300_000 },
        },
      },
    ],
    (observed, desired) => planWorkload(observed, desired ?? fixed),
  )
})

t.test('the replicas an env-only change leaves: the Deployment as applied', async (t) => {
  const desired = desiredFor({ minReplicas: 2, maxReplicas: 2 })
  const written = planWorkload(settled, desired).writes[0]
  t.equal('apply' in written && (written.apply as V1Deployment).spec?.replicas, 2)
})

const deployment = (conditions: Array<Partial<V1DeploymentCondition>>, generation = 1, observedGeneration = 1): V1Deployment => ({
  metadata: { generation },
  status: { observedGeneration, conditions: conditions as V1DeploymentCondition[] },
})

t.test('deployment state: ready when available and the newest ReplicaSet has rolled out', async (t) => {
  t.same(deploymentState(deployment([available, rolledOut])), { state: 'ready' })
  t.same(deploymentState(deployment([available, rolledOut], 2, 1)), { state: 'waiting' }, 'not before the controller saw the newest spec')
  t.same(deploymentState(deployment([])), { state: 'waiting' })
  t.match(deploymentState(deployment([rolledOut, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' }])), {
    state: 'failed',
    why: /ReplicaFailure: FailedCreate quota/,
  })
})

t.test('pod failures: what cannot start, and only for the current image', async (t) => {
  for (const reason of ['ImagePullBackOff', 'ErrImagePull', 'CreateContainerError', 'CreateContainerConfigError', 'InvalidImageName']) {
    t.match(podFailure([pod({ reason })], IMAGE), new RegExp(`container function ${reason}`), reason)
  }
  t.equal(podFailure([pod({ reason: 'CrashLoopBackOff' }, 1)], IMAGE), undefined, 'a first restart or two is not yet a crash loop')
  t.equal(podFailure([pod({ reason: 'ContainerCreating' })], IMAGE), undefined, 'still starting')
  t.equal(podFailure([pod(undefined)], IMAGE), undefined, 'running')
  t.equal(podFailure([pod({ reason: 'ImagePullBackOff' }, 0, 'registry.local:5000/demo-hello:old')], IMAGE), undefined, 'a pod of the previous image')
})
