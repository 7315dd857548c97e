import t from 'tap'
import { StatusDraft, assertReason, sameStatus, withCondition } from '../../src/reconcilers/status.js'
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

t.test('only the seed reasons of a type are accepted', async (t) => {
  t.doesNotThrow(() => assertReason('Running', 'HorizontalPodAutoscalerCreated'))
  t.throws(() => assertReason('Running', 'JobCreated'), /does not belong to condition Running/)
})

t.test('the draft reports status.source and lists each change once', async (t) => {
  const draft = new StatusDraft(makeFunction({ source: 'code', runtime: 'python38' }), () => 'now')
  draft.status.runtime = 'python38'
  draft.set('ConfigurationReady', 'True', 'ConfigMapCreated', 'ConfigMap x created')
  draft.set('ConfigurationReady', 'True', 'ConfigMapCreated', 'ConfigMap x created')
  t.equal(draft.changes.length, 1)
  t.match(draft.status, { source: 'code', runtime: 'python38' })
  t.notOk(sameStatus(undefined, draft.status))
  t.ok(sameStatus(JSON.parse(JSON.stringify(draft.status)), draft.status))
})
