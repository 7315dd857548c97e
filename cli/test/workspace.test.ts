import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { admitOffline } from '@kless/orchestrator/api'
import { deployObjects, detectRuntime, parseConfig, workspaceFiles } from '../src/workspace.js'

function folder(t: { teardown(cleanup: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kless-workspace-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
  return dir
}

const badConfigs: [string, string, string][] = [
  ['a missing name', 'source:\n  sourceType: inline\n', 'config.yaml:1: name: is required'],
  [
    'an unknown field, with its line',
    'name: a\nruntme: nodejs12\nsource:\n  sourceType: inline\n',
    'config.yaml:2: runtme: unknown field; known fields: name, namespace',
  ],
  ['an unknown source type', 'name: a\nsource:\n  sourceType: zip\n', 'config.yaml:3: source.sourceType: must be inline or git'],
  ['a git source without url', 'name: a\nsource:\n  sourceType: git\n', 'config.yaml:3: source.url: is required for a git source'],
  ['env that is no list', 'name: a\nenv: {A: b}\nsource:\n  sourceType: inline\n', 'config.yaml:2: env: must be a list'],
  ['an env entry without name', 'name: a\nenv:\n  - value: b\nsource:\n  sourceType: inline\n', 'config.yaml:3: env.0.name: is required'],
  [
    'labels with a number value',
    'name: a\nlabels:\n  tier: 3\nsource:\n  sourceType: inline\n',
    'config.yaml:3: labels: must be a map of names to string values',
  ],
  ['negative replicas', 'name: a\nreplicas:\n  min: -1\nsource:\n  sourceType: inline\n', 'config.yaml:3: replicas.min: must be a whole number, 0 or more'],
  ['a key given twice', 'name: a\nname: b\nsource: {sourceType: inline}\n', 'config.yaml:2: Map keys must be unique'],
]
for (const [name, text, message] of badConfigs) {
  t.test(`config.yaml with ${name} names the file, the line, the field and the rule`, async (t) => {
    t.throws(() => parseConfig(text, 'config.yaml'), { message: new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) })
  })
}

t.test('an inline config becomes a Function with the folder’s handler and deps, env, resources, replicas and labels', async (t) => {
  const dir = folder(t, { 'handler.py': 'def main(e, c):\n    return "hi"\n', 'requirements.txt': 'requests==2.31.0\n' })
  const config = parseConfig(
    [
      'name: greeter',
      'runtime: python312',
      'labels: {team: a}',
      'env:',
      '  - {name: GREETING, value: hi}',
      '  - name: TOKEN',
      '    valueFrom: {secretKeyRef: {name: s, key: token}}',
      'resources: {requests: {cpu: 100m}, limits: {memory: 256Mi}}',
      'replicas: {min: 1, max: 3}',
      'source: {sourceType: inline}',
    ].join('\n'),
    'config.yaml',
  )
  const { function: fn, repository } = deployObjects(config, join(dir, 'config.yaml'), 'demo')
  t.equal(repository, undefined)
  t.same(fn.metadata, { name: 'greeter', namespace: 'demo', labels: { team: 'a' } })
  t.same(fn.spec, {
    runtime: 'python312',
    source: 'def main(e, c):\n    return "hi"\n',
    deps: 'requests==2.31.0\n',
    env: [
      { name: 'GREETING', value: 'hi' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
    ],
    resources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
    minReplicas: 1,
    maxReplicas: 3,
  })
})

t.test('an inline config without runtime takes it from the handler file', async (t) => {
  t.equal(detectRuntime(folder(t, { 'handler.js': '' })), 'nodejs12')
  t.equal(detectRuntime(folder(t, { 'handler.py': '' })), 'python38')
  t.equal(detectRuntime(folder(t, {})), undefined)
})

t.test('a git config becomes a GitRepository and a Function of type git that reads it', async (t) => {
  const config = parseConfig(
    'name: orders\nruntime: nodejs20\nsource:\n  sourceType: git\n  url: https://example.test/o.git\n  repository: shop\n  reference: main\n  baseDir: /fn\n  auth: {type: basic, secretName: creds}\n',
    'config.yaml',
  )
  const { function: fn, repository } = deployObjects(config, '/nowhere/config.yaml', 'demo')
  t.same(fn.spec, { type: 'git', source: 'shop', runtime: 'nodejs20', reference: 'main', baseDir: '/fn' })
  t.same(repository, {
    apiVersion: 'serverless.kyma-project.io/v1alpha1',
    kind: 'GitRepository',
    metadata: { name: 'shop', namespace: 'demo' },
    spec: { url: 'https://example.test/o.git', auth: { type: 'basic', secretName: 'creds' } },
  })
})

t.test('sync’s files give back the Function deploy made, after the webhooks’ defaults', async (t) => {
  const dir = folder(t, { 'handler.js': 'module.exports = { main: () => 1 }\n', 'package.json': '{"name": "echo", "version": "1.0.0", "dependencies": {}}\n' })
  const config = parseConfig('name: echo\nruntime: nodejs20\nenv: [{name: A, value: b}]\nsource: {sourceType: inline}\n', 'config.yaml')
  const admitted = admitOffline(deployObjects(config, join(dir, 'config.yaml'), 'demo').function)
  if (!admitted.allowed) throw new Error(admitted.message)
  const files = workspaceFiles(admitted.object)
  const back = folder(t, files)
  const again = admitOffline(deployObjects(parseConfig(files['config.yaml'], 'config.yaml'), join(back, 'config.yaml'), 'demo').function)
  t.same(again, admitted)
})
