import t from 'tap'
import { DEFAULT_WEBHOOK_VALUES as values } from '../../src/api/config.js'
import { answerReview, type AdmissionRequest, type AdmissionReview } from '../../src/webhooks/admission.js'
import { functionDefaulting } from '../../src/webhooks/defaulting.js'
import { dockerConfigJson, registrySecretMutation } from '../../src/webhooks/registry-secret.js'
import { resourceValidation } from '../../src/webhooks/validating.js'
import { fn } from '../api/fixtures.js'

const FUNCTION_KIND = { group: 'serverless.kyma-project.io', version: 'v1alpha1', kind: 'Function' }
const SECRET_KIND = { group: '', version: 'v1', kind: 'Secret' }
const b64 = (text: string) => Buffer.from(text).toString('base64')

function request(kind: AdmissionRequest['kind'], object: unknown, operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest {
  return { uid: 'uid-1', kind, operation, name: 'obj', namespace: 'default', object }
}

function review(request: AdmissionRequest, apiVersion = 'admission.k8s.io/v1'): AdmissionReview {
  return { apiVersion, kind: 'AdmissionReview', request }
}

function patchOf(outcome: ReturnType<typeof answerReview>): unknown {
  if (outcome.status !== 200) throw new Error(outcome.error)
  const patch = outcome.review.response?.patch
  return patch === undefined ? undefined : JSON.parse(Buffer.from(patch, 'base64').toString('utf8'))
}

t.test('defaulting answers with a JSON patch that sets the defaulted spec, and nothing for a defaulted Function', async (t) => {
  const outcome = answerReview(review(request(FUNCTION_KIND, fn())), functionDefaulting(values))
  t.equal(outcome.status, 200)
  if (outcome.status !== 200) return
  t.match(outcome.review, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-1', allowed: true, patchType: 'JSONPatch' } })
  const [operation] = patchOf(outcome) as { op: string; path: string; value: { runtime: string; minReplicas: number } }[]
  t.match(operation, { op: 'add', path: '/spec', value: { runtime: 'nodejs12', minReplicas: 1, maxReplicas: 1 } })
  const again = answerReview(review(request(FUNCTION_KIND, { ...fn(), spec: operation.value })), functionDefaulting(values))
  t.equal(patchOf(again), undefined, 'a defaulted Function needs no patch')
})

t.test('validation denies with a message naming the object, the field and the rule; updates like creates', async (t) => {
  for (const operation of ['CREATE', 'UPDATE'] as const) {
    const outcome = answerReview(review(request(FUNCTION_KIND, fn({ runtime: 'nodejs12', source: '' }), operation)), resourceValidation(values))
    if (outcome.status !== 200) throw new Error('expected a review')
    t.match(
      outcome.review.response,
      {
        allowed: false,
        status: { code: 422, reason: 'Invalid', message: /^Function default\/obj is invalid: spec.source: must not be empty.*spec.minReplicas: is required/ },
      },
      operation,
    )
  }
  const deletion = answerReview(review(request(FUNCTION_KIND, undefined, 'DELETE')), resourceValidation(values))
  t.match(deletion, { status: 200, review: { response: { allowed: true } } }, 'deletes are not checked')
  const terminating = fn({ source: '' })
  terminating.metadata.deletionTimestamp = new Date()
  const finalizing = answerReview(review(request(FUNCTION_KIND, JSON.parse(JSON.stringify(terminating)), 'UPDATE')), resourceValidation(values))
  t.match(finalizing, { status: 200, review: { response: { allowed: true } } }, 'a Function being deleted can always lose its finalizers')
})

t.test('the v1beta1 envelope is answered in kind; malformed envelopes are 400s', async (t) => {
  const outcome = answerReview(review(request(FUNCTION_KIND, fn()), 'admission.k8s.io/v1beta1'), functionDefaulting(values))
  t.match(outcome, { status: 200, review: { apiVersion: 'admission.k8s.io/v1beta1' } })
  const rows: [unknown, RegExp][] = [
    [null, /must be a JSON AdmissionReview object/],
    [{ kind: 'Pod' }, /kind must be AdmissionReview/],
    [{ kind: 'AdmissionReview', apiVersion: 'v1' }, /apiVersion must be one of/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, /request is missing/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { kind: FUNCTION_KIND } }, /request.uid is missing/],
  ]
  for (const [body, error] of rows) t.match(answerReview(body, functionDefaulting(values)), { status: 400, error })
})

t.test('a handler that throws denies the request instead of letting it through', async (t) => {
  const outcome = answerReview(review(request(FUNCTION_KIND, fn())), () => {
    throw new Error('boom')
  })
  t.match(outcome, { status: 200, review: { response: { allowed: false, status: { code: 500, message: /boom/ } } } })
})

t.test('the registry Secret gets its .dockerconfigjson and type', async (t) => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'serverless-registry-config', labels: { 'serverless.kyma-project.io/remote-registry': 'config' } },
    data: { username: b64('robot'), password: b64('s3cret:pass'), serverAddress: b64('registry.example:5000'), registryAddress: b64('registry.example:5000') },
  }
  const expected = b64(JSON.stringify({ auths: { 'registry.example:5000': { auth: b64('robot:s3cret:pass') } } }))
  t.equal(b64(dockerConfigJson('robot', 's3cret:pass', 'registry.example:5000')), expected)
  t.same(patchOf(answerReview(review(request(SECRET_KIND, secret)), registrySecretMutation())), [
    { op: 'add', path: '/data/.dockerconfigjson', value: expected },
    { op: 'add', path: '/type', value: 'kubernetes.io/dockerconfigjson' },
  ])
  const updated = { ...secret, type: 'Opaque', data: { ...secret.data, '.dockerconfigjson': expected } }
  t.equal(
    patchOf(answerReview(review(request(SECRET_KIND, updated, 'UPDATE')), registrySecretMutation())),
    undefined,
    'an up-to-date Secret is left alone; type is immutable on update',
  )
  const unlabelled = { ...secret, metadata: { name: 'other' } }
  t.equal(patchOf(answerReview(review(request(SECRET_KIND, unlabelled)), registrySecretMutation())), undefined, 'other Secrets are left alone')
})

t.test('a registry Secret missing a key is denied with a clear message that leaks no value', async (t) => {
  const rows: [Record<string, string>, RegExp][] = [
    [{ password: b64('hunter2'), serverAddress: b64('r') }, /data.username is missing or empty/],
    [{ username: b64('robot'), serverAddress: b64('r') }, /data.password is missing or empty/],
    [{ username: b64('robot'), password: b64('hunter2') }, /data.serverAddress is missing or empty/],
    [{ username: b64('robot') }, /data.password, data.serverAddress are missing or empty/],
  ]
  for (const [data, message] of rows) {
    const secret = { metadata: { name: 's', labels: { 'serverless.kyma-project.io/remote-registry': 'config' } }, data }
    const outcome = answerReview(review(request(SECRET_KIND, secret)), registrySecretMutation())
    if (outcome.status !== 200) throw new Error('expected a review')
    t.match(outcome.review.response, { allowed: false, status: { message } })
    t.notMatch(JSON.stringify(outcome.review), /hunter2|aHVudGVyMg|robot|cm9ib3Q/, 'no credential in the answer')
  }
})
