import t from 'tap'
import { buildSourceConfigMap } from '../../src/resources/configmap.js'
import { planGitSource, planInlineSource, type GitObserved, type InlineObserved } from '../../src/reconcilers/source.js'
import { makeFunction, profileOf } from '../fixtures.js'
import { planRows } from './rows.js'

const profile = profileOf('nodejs12')
const desired = buildSourceConfigMap(makeFunction(), profile)
const name = desired.metadata?.name as string
const older = buildSourceConfigMap(makeFunction({ source: 'module.exports = { main: () => "old" }' }), profile)

t.test('inline source', async (t) => {
  planRows<InlineObserved>(
    t,
    [
      {
        name: 'new: the ConfigMap is created',
        observed: { configMap: undefined, configured: false },
        want: { writes: [`apply ConfigMap ${name}`], conditions: ['ConfigurationReady True ConfigMapCreated'], messages: [`ConfigMap ${name} created`] },
      },
      {
        name: 'changed: the ConfigMap is updated',
        observed: { configMap: older, configured: true },
        want: { writes: [`apply ConfigMap ${name}`], conditions: ['ConfigurationReady True ConfigMapUpdated'] },
      },
      { name: 'unchanged: nothing to do', observed: { configMap: desired, configured: true }, want: { writes: [], conditions: [] } },
      {
        name: 'unchanged but the condition was lost: reported again, not rewritten',
        observed: { configMap: desired, configured: false },
        want: { writes: [], conditions: ['ConfigurationReady True ConfigMapCreated'] },
      },
    ],
    (observed) => planInlineSource(observed, desired),
  )
})

const COMMIT = 'a'.repeat(40)
const NEXT = 'b'.repeat(40)
const settled = { commit: COMMIT, reference: 'main', baseDir: '/fn', runtime: 'nodejs12', configured: true }
const git = { fn: 'demo/hello', reference: 'main', baseDir: '/fn', runtime: 'nodejs12', retryMs: 30_000 }

t.test('git source', async (t) => {
  planRows<GitObserved>(
    t,
    [
      {
        name: 'first resolution: SourceUpdated with the commit',
        observed: { resolved: { commit: COMMIT }, configured: false },
        want: {
          writes: [],
          conditions: ['ConfigurationReady True SourceUpdated'],
          messages: [`Sources of Function demo/hello updated to commit ${COMMIT}`],
          status: { commit: COMMIT, reference: 'main', baseDir: '/fn' },
        },
      },
      {
        name: 'a new commit on the branch: SourceUpdated',
        observed: { ...settled, resolved: { commit: NEXT } },
        want: { conditions: ['ConfigurationReady True SourceUpdated'], status: { commit: NEXT } },
      },
      { name: 'the same commit: nothing to report', observed: { ...settled, resolved: { commit: COMMIT } }, want: { writes: [], conditions: [] } },
      {
        name: 'another baseDir at the same commit: SourceUpdated',
        observed: { ...settled, baseDir: '/', resolved: { commit: COMMIT } },
        want: { conditions: ['ConfigurationReady True SourceUpdated'], status: { baseDir: '/fn' } },
      },
      {
        name: 'unreachable repository: SourceUpdateFailed, retried after the git interval',
        observed: { ...settled, resolved: { failure: 'Sources update failed: git ls-remote http://git.invalid/x failed: could not resolve host' } },
        want: { conditions: ['ConfigurationReady False SourceUpdateFailed'], messages: [/could not resolve host/], stop: { requeueAfterMs: 30_000 } },
      },
      {
        name: 'bad credentials: SourceUpdateFailed with what git said',
        observed: { ...settled, resolved: { failure: 'Sources update failed: git ls-remote http://git.local/x failed: fatal: Authentication failed' } },
        want: { conditions: ['ConfigurationReady False SourceUpdateFailed'], messages: [/Authentication failed/], stop: { requeueAfterMs: 30_000 } },
      },
    ],
    (observed) => planGitSource(observed, git),
  )
})
