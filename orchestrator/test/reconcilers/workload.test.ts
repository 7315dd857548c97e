import t from 'tap'
import type { V1Deployment, V1DeploymentCondition } from '@kubernetes/client-node'
import { deploymentState } from '../../src/reconcilers/workload.js'

const deployment = (conditions: Array<Partial<V1DeploymentCondition>>, generation = 1, observedGeneration = 1): V1Deployment => ({
  metadata: { generation },
  status: { observedGeneration, conditions: conditions as V1DeploymentCondition[] },
})
const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }
const rolledOut = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }

t.test('ready when available and the newest ReplicaSet has rolled out', async (t) => {
  t.same(deploymentState(deployment([available, rolledOut])), { state: 'ready' })
})

t.test('waiting while rolling out, or before the controller saw the newest spec', async (t) => {
  t.same(deploymentState(deployment([available, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }])), { state: 'waiting' })
  t.same(deploymentState(deployment([available, rolledOut], 2, 1)), { state: 'waiting' })
  t.same(deploymentState(deployment([])), { state: 'waiting' })
})

t.test('failed when the rollout gave up or pods cannot be created, with the reason', async (t) => {
  t.same(deploymentState(deployment([{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' }])), {
    state: 'failed',
    why: 'Progressing: ProgressDeadlineExceeded took too long',
  })
  t.match(deploymentState(deployment([rolledOut, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' }])), {
    state: 'failed',
    why: /ReplicaFailure: FailedCreate quota/,
  })
})
