import t from 'tap'
import type { V1Secret } from '@kubernetes/client-node'
import { buildServiceAccount } from '../../src/resources/service-account.js'
import { planNamespace, type NamespaceObserved } from '../../src/reconcilers/registry.js'
import { planRows, summarize } from './rows.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const secret = (name: string, namespace: string, data: Record<string, string>, labels: Record<string, string> = {}): V1Secret => ({
  metadata: { name, namespace, labels },
  type: 'kubernetes.io/dockerconfigjson',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
})
const CREDENTIALS = { 'serverless.kyma-project.io/config': 'credentials' }
const clusterDefault = secret('serverless-registry-config-default', 'kyma-system', { registryAddress: 'registry.local:5000' }, CREDENTIALS)
const copied = { ...clusterDefault, metadata: { ...clusterDefault.metadata, namespace: 'demo' } }
const accounts = [buildServiceAccount('demo', 'serverless-function', 'function'), buildServiceAccount('demo', 'serverless-build', 'build')]
const desired = { namespace: 'demo', serviceAccounts: accounts, step: 'preparing namespace demo for Function demo/hello' }
const prepared: NamespaceObserved = {
  sources: [clusterDefault],
  secrets: { 'serverless-registry-config-default': copied, 'serverless-registry-config': undefined },
  userRegistry: undefined,
  serviceAccounts: { 'serverless-function': accounts[0], 'serverless-build': accounts[1] },
}

t.test('namespace', async (t) => {
  planRows<NamespaceObserved>(
    t,
    [
      {
        name: 'new namespace: the registry Secret is copied in and both ServiceAccounts created',
        observed: { ...prepared, secrets: {}, serviceAccounts: {} },
        want: {
          writes: ['apply Secret serverless-registry-config-default', 'apply ServiceAccount serverless-function', 'apply ServiceAccount serverless-build'],
          conditions: [],
        },
      },
      { name: 'prepared: nothing to write', observed: prepared, want: { writes: [], conditions: [] } },
      {
        name: 'the cluster-wide Secret changed: the copy follows',
        observed: {
          ...prepared,
          secrets: { 'serverless-registry-config-default': secret('serverless-registry-config-default', 'demo', { registryAddress: 'old:5000' }, CREDENTIALS) },
        },
        want: { writes: ['apply Secret serverless-registry-config-default'] },
      },
      {
        name: 'a user-managed copy is never overwritten',
        observed: {
          ...prepared,
          secrets: {
            'serverless-registry-config-default': secret(
              'serverless-registry-config-default',
              'demo',
              { registryAddress: 'mine:5000' },
              { 'serverless.kyma-project.io/managed-by': 'user' },
            ),
          },
        },
        want: { writes: [] },
      },
      {
        name: "the namespace's own registry Secret without registryAddress: ConfigurationReady False, naming step and Secret",
        observed: {
          ...prepared,
          userRegistry: secret('serverless-registry-config', 'demo', { username: 'u' }, { 'serverless.kyma-project.io/remote-registry': 'config' }),
        },
        want: {
          writes: [],
          conditions: ['ConfigurationReady False SourceUpdateFailed'],
          messages: ['preparing namespace demo for Function demo/hello: Secret serverless-registry-config has no registryAddress'],
          stop: {},
        },
      },
      {
        name: 'no registry Secret at all: ConfigurationReady False',
        observed: { ...prepared, sources: [], secrets: {} },
        want: {
          conditions: ['ConfigurationReady False SourceUpdateFailed'],
          messages: [/^preparing namespace demo for Function demo\/hello: Docker registry configuration not found/],
          stop: {},
        },
      },
    ],
    (observed) => planNamespace(observed, desired),
  )
})

t.test('the registry is the one the namespace holds once the copies are written', async (t) => {
  t.same(planNamespace({ ...prepared, secrets: {} }, desired).registry, {
    secretName: 'serverless-registry-config-default',
    pushAddress: 'registry.local:5000',
    pullAddress: 'registry.local:5000',
  })
  const external = secret(
    'serverless-registry-config',
    'demo',
    { registryAddress: 'ext.example:443' },
    { 'serverless.kyma-project.io/remote-registry': 'config' },
  )
  t.match(
    planNamespace({ ...prepared, userRegistry: external }, desired).registry,
    { secretName: 'serverless-registry-config', pushAddress: 'ext.example:443' },
    "the user's Secret wins",
  )
  t.same(summarize(planNamespace({ ...prepared, sources: [] }, desired)).writes, [], 'the system namespace itself: nothing to copy')
})
