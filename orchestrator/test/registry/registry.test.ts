import t from 'tap'
import type { V1Secret } from '@kubernetes/client-node'
import { propagatedSecret, resolveRegistry } from '../../src/registry/registry.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const secret = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1Secret => ({
  metadata: { name, namespace: 'demo', labels },
  type: 'kubernetes.io/dockerconfigjson',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
})

t.test('the namespace external registry wins over the default', async (t) => {
  const external = secret('serverless-registry-config', { registryAddress: 'ext.example:443' })
  const fallback = secret('serverless-registry-config-default', { registryAddress: 'internal:5000' })
  t.same(resolveRegistry(external, fallback), {
    registry: { secretName: 'serverless-registry-config', pushAddress: 'ext.example:443', pullAddress: 'ext.example:443' },
  })
  t.same(resolveRegistry(undefined, fallback), {
    registry: { secretName: 'serverless-registry-config-default', pushAddress: 'internal:5000', pullAddress: 'internal:5000' },
  })
})

t.test('an internal default registry is pulled from its server address', async (t) => {
  const fallback = secret('serverless-registry-config-default', { registryAddress: 'svc:5000', serverAddress: 'registry.cluster', isInternal: 'true' })
  t.match(resolveRegistry(undefined, fallback), { registry: { pushAddress: 'svc:5000', pullAddress: 'registry.cluster' } })
})

t.test('missing or incomplete configuration names the Secret', async (t) => {
  t.same(resolveRegistry(undefined, undefined), {
    problem: 'Docker registry configuration not found: neither Secret serverless-registry-config nor serverless-registry-config-default exists',
  })
  t.same(resolveRegistry(secret('serverless-registry-config', {}), undefined), { problem: 'Secret serverless-registry-config has no registryAddress' })
  const internal = secret('serverless-registry-config-default', { registryAddress: 'svc:5000', isInternal: 'true' })
  t.same(resolveRegistry(undefined, internal), { problem: 'Secret serverless-registry-config-default is internal but has no serverAddress' })
})

t.test('propagation copies into a namespace unless the copy there is user-managed or equal', async (t) => {
  const source = secret('serverless-registry-config-default', { registryAddress: 'r' }, { 'serverless.kyma-project.io/config': 'credentials' })
  const copy = propagatedSecret(source, 'team', undefined)
  t.match(copy, { metadata: { name: 'serverless-registry-config-default', namespace: 'team' }, data: source.data, type: source.type })
  t.equal(propagatedSecret(source, 'team', copy), undefined)
  const pinned = secret('serverless-registry-config-default', { registryAddress: 'mine' }, { 'serverless.kyma-project.io/managed-by': 'user' })
  t.equal(propagatedSecret(source, 'team', pinned), undefined)
  t.ok(propagatedSecret(source, 'team', secret('serverless-registry-config-default', { registryAddress: 'old' }, source.metadata?.labels)))
})
