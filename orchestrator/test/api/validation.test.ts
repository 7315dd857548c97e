import t, { type Test } from 'tap'
import { DEFAULT_WEBHOOK_VALUES as values } from '../../src/api/config.js'
import { defaultFunction } from '../../src/api/defaults.js'
import { formatFieldErrors, validateFunction, validateGitRepository, type FieldError } from '../../src/api/validation.js'
import { RESERVED_ENV_NAMES, RUNTIMES, type FunctionSpec } from '../../src/api/types.js'
import { fn, gitRepository } from './fixtures.js'

/** Validation as the API server runs it: after defaulting. */
function errorsFor(spec: Partial<FunctionSpec>, name?: string): FieldError[] {
  return validateFunction(defaultFunction(fn(spec, undefined, name), values), values)
}

/** Asserts exactly one error, on `field`, whose message matches `rule`. */
function deniedFor(t: Test, errors: FieldError[], field: string, rule: RegExp, name: string) {
  t.same(
    errors.map((error) => error.field),
    [field],
    `${name}: fails on ${field} only (${formatFieldErrors(errors)})`,
  )
  t.match(errors[0]?.message ?? '', rule, `${name}: says why`)
}

t.test('a defaulted minimal Function and the seed samples are valid', async (t) => {
  t.same(errorsFor({}), [])
  t.same(
    errorsFor({
      env: [{ name: 'PERSON_NAME', value: 'John' }],
      deps: '{ "name": "hellowithdeps", "version": "0.0.1", "dependencies": { "lodash": "^4.17.5" } }',
      labels: { app: 'my-test-function' },
      minReplicas: 3,
      maxReplicas: 3,
      resources: { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '500m', memory: '500Mi' } },
      buildResources: { limits: { cpu: 2, memory: '2Gi' }, requests: { cpu: 1, memory: '1Gi' } },
      runtime: 'nodejs12',
    }),
    [],
  )
  t.same(errorsFor({ type: 'git', source: 'auth-basic', baseDir: '/', reference: 'branchA', runtime: 'nodejs12' }), [])
  t.same(errorsFor({ runtime: 'python38', deps: 'requests==2.31.0' }), [], 'python deps are a requirements.txt, not JSON')
})

t.test('every runtime is accepted, anything else is named', async (t) => {
  for (const runtime of RUNTIMES) t.same(errorsFor({ runtime }), [], runtime)
  for (const runtime of ['nodejs14', 'python39', 'NODEJS12', 42]) {
    deniedFor(t, errorsFor({ runtime: runtime as never }), 'spec.runtime', /is not supported; use one of nodejs12, nodejs10, python38/, String(runtime))
  }
})

t.test("the seed's minimums table, row by row", async (t) => {
  const rows: [string, Partial<FunctionSpec>, string, RegExp][] = [
    ['minReplicas 0', { minReplicas: 0, maxReplicas: 1 }, 'spec.minReplicas', /0 is below the minimum of 1/],
    ['resources.requests.cpu 9m', { resources: { requests: { cpu: '9m' } } }, 'spec.resources.requests.cpu', /below the minimum 10m/],
    ['resources.requests.memory 15Mi', { resources: { requests: { memory: '15Mi' } } }, 'spec.resources.requests.memory', /below the minimum 16Mi/],
    ['buildResources.requests.cpu 199m', { buildResources: { requests: { cpu: '199m' } } }, 'spec.buildResources.requests.cpu', /below the minimum 200m/],
    [
      'buildResources.requests.memory 199Mi',
      { buildResources: { requests: { memory: '199Mi' } } },
      'spec.buildResources.requests.memory',
      /below the minimum 200Mi/,
    ],
  ]
  for (const [name, spec, field, rule] of rows) deniedFor(t, errorsFor(spec), field, rule, name)
  const atMinimum = { resources: { requests: { cpu: '10m', memory: '16Mi' } }, buildResources: { requests: { cpu: '0.2', memory: '200Mi' } } }
  t.same(errorsFor({ ...atMinimum, minReplicas: 1 }), [], 'exactly the minimums pass')
})

t.test('requests above limits and min above max are denied', async (t) => {
  const rows: [string, Partial<FunctionSpec>, string, RegExp][] = [
    ['maxReplicas < minReplicas', { minReplicas: 3, maxReplicas: 2 }, 'spec.maxReplicas', /2 is less than spec.minReplicas 3/],
    [
      'resources limits.cpu < requests.cpu',
      { resources: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } },
      'spec.resources.limits.cpu',
      /"100m" is less than spec.resources.requests.cpu "200m"; limits must be ≥ requests/,
    ],
    [
      'buildResources limits.memory < requests.memory',
      { buildResources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1000Mi' } } },
      'spec.buildResources.limits.memory',
      /limits must be ≥ requests/,
    ],
    ['a quantity that is not one', { resources: { requests: { cpu: 'fast' } } }, 'spec.resources.requests.cpu', /"fast" is not a resource quantity/],
    ['replicas that are not whole', { minReplicas: 1.5, maxReplicas: 2 }, 'spec.minReplicas', /must be a whole number/],
  ]
  for (const [name, spec, field, rule] of rows) deniedFor(t, errorsFor(spec), field, rule, name)
})

t.test('reserved env names, row by row, and invalid env names', async (t) => {
  for (const name of RESERVED_ENV_NAMES) {
    deniedFor(
      t,
      errorsFor({
        env: [
          { name: 'OK', value: '1' },
          { name, value: 'x' },
        ],
      }),
      'spec.env[1].name',
      /is reserved/,
      name,
    )
  }
  for (const name of ['1ABC', 'A B', 'A=B', '']) {
    deniedFor(t, errorsFor({ env: [{ name, value: 'x' }] }), 'spec.env[0].name', name ? /not a valid env name/ : /is required/, JSON.stringify(name))
  }
  t.same(errorsFor({ env: [{ name: 'my.env-var_1', value: 'x' }] }), [], 'dots and dashes are valid')
})

t.test('the Function name must be an RFC 1035 label', async (t) => {
  for (const name of ['a', 'hello-world', 'f1', 'a'.repeat(63)]) t.same(errorsFor({}, name), [], name)
  for (const name of ['1abc', 'Hello', 'hello_world', 'hello-', 'hello.world', 'a'.repeat(64)]) {
    deniedFor(t, errorsFor({}, name), 'metadata.name', /is not an RFC 1035 label/, name)
  }
})

t.test('source, deps, git fields and pod labels', async (t) => {
  const rows: [string, Partial<FunctionSpec>, string, RegExp][] = [
    ['empty source', { source: '' }, 'spec.source', /must not be empty/],
    ['blank source', { source: ' \n ' }, 'spec.source', /must not be empty/],
    ['deps not JSON', { deps: 'lodash@4' }, 'spec.deps', /must be a valid package.json \(JSON\)/],
    ['deps a JSON array', { deps: '[]' }, 'spec.deps', /must be a package.json object/],
    ['deps without name', { deps: '{"version": "1.0.0"}' }, 'spec.deps', /non-empty "name"/],
    ['deps without version', { deps: '{"name": "x"}' }, 'spec.deps', /non-empty "version"/],
    ['git without reference', { type: 'git', source: 'repo', baseDir: '/' }, 'spec.reference', /required when spec.type is git/],
    ['git without baseDir', { type: 'git', source: 'repo', reference: 'main' }, 'spec.baseDir', /required when spec.type is git/],
    ['an unknown type', { type: 'svn' as never }, 'spec.type', /"svn" is not supported/],
    ['a bad pod label key', { labels: { 'bad key': 'x' } }, 'spec.labels', /label key "bad key" is invalid/],
    ['a bad pod label value', { labels: { app: 'no spaces' } }, 'spec.labels.app', /label value "no spaces" is invalid/],
  ]
  for (const [name, spec, field, rule] of rows) deniedFor(t, errorsFor(spec), field, rule, name)
  t.same(errorsFor({ deps: '   ' }), [], 'blank deps mean no dependencies')
  t.same(errorsFor({ type: 'git', source: 'repo', baseDir: '/', reference: 'main', deps: 'not json' }), [], 'git Functions take deps from the repository')
})

t.test('every failure is reported at once', async (t) => {
  const errors = errorsFor({ source: '', runtime: 'cobol' as never, env: [{ name: 'FUNC_PORT', value: '1' }] }, 'Bad')
  t.same(errors.map((error) => error.field).sort(), ['metadata.name', 'spec.env[0].name', 'spec.runtime', 'spec.source'])
  t.match(formatFieldErrors(errors), /^metadata.name: .*; spec.source: .*; spec.runtime: .*; spec.env\[0\].name: FUNC_PORT is reserved/)
})

t.test('validation without defaulting says what is missing', async (t) => {
  const errors = validateFunction(fn({ runtime: 'nodejs12' }), values)
  t.same(
    errors.map((error) => error.field),
    ['spec.minReplicas', 'spec.maxReplicas', 'spec.resources', 'spec.buildResources'],
  )
})

t.test("GitRepository URL and auth rules (the seed's list)", async (t) => {
  const valid: [string, object][] = [
    ['https', { url: 'https://github.com/kyma/sample.git' }],
    ['http with basic auth', { url: 'http://git.local/repo.git', auth: { type: 'basic', secretName: 'creds' } }],
    ['https with key auth', { url: 'https://git.local/repo.git', auth: { type: 'key', secretName: 'creds' } }],
    [
      'git@ with key auth (the seed sample)',
      { url: 'git@github.com:sample-organization/sample-repo.git', auth: { type: 'key', secretName: 'kyma-git-creds' } },
    ],
    ['ssh:// with key auth', { url: 'ssh://git@host/repo.git', auth: { type: 'key', secretName: 'k' } }],
    ['git:// without auth', { url: 'git://host/repo.git' }],
  ]
  for (const [name, spec] of valid) t.same(validateGitRepository(gitRepository(spec)), [], name)
  const invalid: [string, object, string, RegExp][] = [
    ['empty url', { url: '' }, 'spec.url', /must not be empty/],
    ['missing url', {}, 'spec.url', /must not be empty/],
    ['ftp url', { url: 'ftp://host/repo.git' }, 'spec.url', /must start with https:\/\/, http:\/\/, git@, git:\/\/, ssh:\/\//],
    ['no .git suffix', { url: 'https://github.com/kyma/sample' }, 'spec.url', /must end with .git/],
    ['ssh without auth', { url: 'git@github.com:org/repo.git' }, 'spec.auth', /required for an SSH URL/],
    [
      'ssh with basic auth',
      { url: 'ssh://host/repo.git', auth: { type: 'basic', secretName: 's' } },
      'spec.auth.type',
      /must be key for an SSH URL, got "basic"/,
    ],
    ['ssh with empty secretName', { url: 'git@host:repo.git', auth: { type: 'key', secretName: '' } }, 'spec.auth.secretName', /must not be empty/],
    ['https with an unknown auth type', { url: 'https://h/r.git', auth: { type: 'token', secretName: 's' } }, 'spec.auth.type', /must be basic .* or key/],
    ['https with empty secretName', { url: 'https://h/r.git', auth: { type: 'basic', secretName: ' ' } }, 'spec.auth.secretName', /must not be empty/],
    ['auth not a map', { url: 'https://h/r.git', auth: 'basic' }, 'spec.auth', /must be a map/],
  ]
  for (const [name, spec, field, rule] of invalid) deniedFor(t, validateGitRepository(gitRepository(spec)), field, rule, name)
})
