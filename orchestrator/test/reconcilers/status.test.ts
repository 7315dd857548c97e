import t from 'tap'
import { Conditions } from '../../src/reconcilers/conditions.js'
import { StatusDraft, sameStatus, withCondition } from '../../src/reconcilers/status.js'
import { makeFunction } from '../fixtures.js'

t.test('a new condition goes first and replaces its type', async (t) => {
  let conditions = withCondition([], { type: 'ConfigurationReady', status: 'True', reason: 'ConfigMapCreated', message: 'ConfigMap a created' }, 't1')
  conditions = withCondition(conditions, { type: 'BuildReady', status: 'Unknown', reason: 'JobCreated', message: 'Job j created' }, 't2')
  conditions = withCondition(conditions, { type: 'BuildReady', status: 'True', reason: 'JobFinished', message: 'Job j finished' }, 't3')
  t.same(
    conditions.map((c) => [c.type, c.reason, c.lastTransitionTime]),
    [
      ['BuildReady', 'JobFinished', 't3'],
      ['ConfigurationReady', 'ConfigMapCreated', 't1'],
    ],
  )
})

t.test('an unchanged condition keeps its place and time', async (t) => {
  const before = withCondition([], { type: 'Running', status: 'True', reason: 'DeploymentReady', message: 'm' }, 't1')
  t.equal(withCondition(before, { type: 'Running', status: 'True', reason: 'DeploymentReady', message: 'm' }, 't2'), before)
})

t.test('the typed helpers give each reason its type and status', async (t) => {
  t.match(Conditions.jobFailed('demo/hello', 'hello-build-x'), { type: 'BuildReady', status: 'False', reason: 'JobFailed' })
  t.match(Conditions.deploymentReady('hello-abcde'), { type: 'Running', status: 'True', reason: 'DeploymentReady', message: 'Deployment hello-abcde is ready' })
})

t.test('the draft reports status.source and lists each change once', async (t) => {
  const draft = new StatusDraft(makeFunction({ source: 'code', runtime: 'python38' }), () => 'now')
  draft.status.runtime = 'python38'
  draft.set(Conditions.configMapCreated('x'))
  draft.set(Conditions.configMapCreated('x'))
  t.equal(draft.changes.length, 1)
  t.match(draft.status, { source: 'code', runtime: 'python38' })
  t.notOk(sameStatus(undefined, draft.status))
  t.ok(sameStatus(JSON.parse(JSON.stringify(draft.status)), draft.status))
})
