import t from 'tap'
import { buildRuntimeConfigMap, buildSourceConfigMap, sourceConfigMapName } from '../../src/resources/configmap.js'
import { APPLIED_HASH_ANNOTATION, stableName } from '../../src/resources/meta.js'
import { makeFunction, profileOf, templates } from '../fixtures.js'

t.test('the source ConfigMap holds source and dependencies, labelled and owned', async (t) => {
  const fn = makeFunction({ deps: '' }, { labels: { team: 'a', 'serverless.kyma-project.io/uuid': 'spoofed' } })
  const cm = buildSourceConfigMap(fn, profileOf('nodejs12'))
  t.same(cm.data, { source: fn.spec.source, dependencies: '{}' })
  t.same(cm.metadata?.labels, {
    team: 'a',
    'serverless.kyma-project.io/function-name': 'hello',
    'serverless.kyma-project.io/managed-by': 'function-controller',
    'serverless.kyma-project.io/uuid': fn.metadata.uid,
  })
  t.same(cm.metadata?.ownerReferences, [
    { apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'Function', name: 'hello', uid: fn.metadata.uid, controller: true, blockOwnerDeletion: true },
  ])
  t.equal(cm.metadata?.namespace, 'demo')
  t.match(cm.metadata?.name, /^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
})

t.test('the name is stable for a Function and differs between Functions', async (t) => {
  t.equal(sourceConfigMapName(makeFunction()), sourceConfigMapName(makeFunction({ source: 'other' })))
  t.not(sourceConfigMapName(makeFunction()), sourceConfigMapName(makeFunction({}, { uid: 'another-uid' })))
})

t.test('stable names never exceed 63 characters', async (t) => {
  t.equal(stableName(`${'x'.repeat(63)}-build-`, 'a').length, 63)
})

t.test('the applied hash changes with the content only', async (t) => {
  const hash = (source: string) => buildSourceConfigMap(makeFunction({ source }), profileOf('nodejs12')).metadata?.annotations?.[APPLIED_HASH_ANNOTATION]
  t.equal(hash('a'), hash('a'))
  t.not(hash('a'), hash('b'))
})

t.test('the runtime ConfigMap carries the language Dockerfile and no owner', async (t) => {
  const cm = buildRuntimeConfigMap('demo', profileOf('python312'), templates.dockerfiles.python)
  t.equal(cm.metadata?.name, 'dockerfile-python312')
  t.equal(cm.metadata?.ownerReferences, undefined)
  t.match(cm.data?.Dockerfile, /pip install/)
  t.equal(cm.metadata?.labels?.['serverless.kyma-project.io/runtime'], 'python312')
})
