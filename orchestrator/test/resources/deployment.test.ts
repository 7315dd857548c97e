import t from 'tap'
import type { V1Container } from '@kubernetes/client-node'
import { buildDeployment, scalingEnabled, type DeploymentInputs } from '../../src/resources/deployment.js'
import { buildService } from '../../src/resources/service.js'
import { buildAutoscaler } from '../../src/resources/autoscaler.js'
import { APPLIED_HASH_ANNOTATION } from '../../src/resources/meta.js'
import type { Function } from '../../src/api/types.js'
import { makeFunction, profileOf } from '../fixtures.js'

const inputs = (overrides: Partial<DeploymentInputs> = {}): DeploymentInputs => ({
  profile: profileOf('nodejs12'),
  image: 'registry.local/demo-hello:abc',
  serviceAccountName: 'serverless-function',
  progressDeadlineSeconds: 600,
  replicas: 1,
  scalingEnabled: false,
  ...overrides,
})
const container = (fn: Function, overrides: Partial<DeploymentInputs> = {}) =>
  buildDeployment(fn, inputs(overrides)).spec?.template.spec?.containers[0] as V1Container
const hash = (fn: Function, overrides: Partial<DeploymentInputs> = {}) =>
  buildDeployment(fn, inputs(overrides)).metadata?.annotations?.[APPLIED_HASH_ANNOTATION]

t.test('env: the user first (valueFrom kept), then the runtime and the fixed host settings', async (t) => {
  const fn = makeFunction({
    env: [
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
    ],
  })
  t.same(container(fn).env, [
    { name: 'A', value: '1' },
    { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
    { name: 'FUNC_RUNTIME', value: 'nodejs12' },
    { name: 'NODE_PATH', value: '/kubeless/node_modules' },
    { name: 'FUNC_HANDLER', value: 'main' },
    { name: 'MOD_NAME', value: 'handler' },
    { name: 'FUNC_PORT', value: '8080' },
    { name: 'FUNC_NAME', value: 'hello' },
  ])
})

t.test('the pod runs restricted: non-root 1000, read-only root with a /tmp emptyDir, no capabilities', async (t) => {
  const deployment = buildDeployment(makeFunction(), inputs())
  const pod = deployment.spec?.template.spec
  t.match(container(makeFunction()).securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  })
  t.same(pod?.volumes, [{ name: 'tmp-dir', emptyDir: { sizeLimit: '100Mi' } }])
  t.same(container(makeFunction()).volumeMounts, [{ name: 'tmp-dir', mountPath: '/tmp' }])
  t.equal(pod?.serviceAccountName, 'serverless-function')
})

t.test('probes check /healthz on 8080', async (t) => {
  const c = container(makeFunction())
  t.match(c.startupProbe, { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 120 })
  t.match(c.readinessProbe, { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 })
})

t.test('pods carry the user labels, but the selector labels win', async (t) => {
  const fn = makeFunction({ labels: { app: 'x', 'serverless.kyma-project.io/resource': 'mine' } })
  const deployment = buildDeployment(fn, inputs())
  t.equal(deployment.spec?.template.metadata?.labels?.app, 'x')
  t.equal(deployment.spec?.template.metadata?.labels?.['serverless.kyma-project.io/resource'], 'deployment')
  t.same(deployment.spec?.selector.matchLabels, {
    'serverless.kyma-project.io/function-name': 'hello',
    'serverless.kyma-project.io/managed-by': 'function-controller',
    'serverless.kyma-project.io/uuid': fn.metadata.uid,
    'serverless.kyma-project.io/resource': 'deployment',
  })
})

t.test('resources and image come from the Function and the build', async (t) => {
  const fn = makeFunction({ resources: { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '500m', memory: '500Mi' } } })
  t.same(container(fn).resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '500Mi' } })
  t.equal(container(fn).image, 'registry.local/demo-hello:abc')
})

t.test('env, labels, resources, image and fixed replicas change the hash', async (t) => {
  const base = hash(makeFunction())
  t.equal(hash(makeFunction()), base)
  t.not(hash(makeFunction({ env: [{ name: 'A', value: '1' }] })), base)
  t.not(hash(makeFunction({ labels: { a: 'b' } })), base)
  t.not(hash(makeFunction({ resources: { limits: { cpu: '1' } } })), base)
  t.not(hash(makeFunction(), { image: 'other' }), base)
  t.not(hash(makeFunction(), { replicas: 3 }), base)
})

t.test('while an autoscaler scales, the replica count is not part of the hash', async (t) => {
  t.equal(hash(makeFunction(), { scalingEnabled: true, replicas: 1 }), hash(makeFunction(), { scalingEnabled: true, replicas: 4 }))
})

t.test('scaling is enabled only when minReplicas < maxReplicas', async (t) => {
  t.equal(scalingEnabled(makeFunction({ minReplicas: 1, maxReplicas: 1 })), false)
  t.equal(scalingEnabled(makeFunction({ minReplicas: 1, maxReplicas: 3 })), true)
  t.equal(scalingEnabled(makeFunction({})), false)
  t.equal(buildDeployment(makeFunction({ minReplicas: 3, maxReplicas: 3 }), inputs({ replicas: 3 })).spec?.replicas, 3)
})

t.test('the Service is named like the Function and maps 80 to 8080 on the Function pods', async (t) => {
  const service = buildService(makeFunction())
  t.equal(service.metadata?.name, 'hello')
  t.same(service.spec?.ports, [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }])
  t.equal(service.spec?.selector?.['serverless.kyma-project.io/resource'], 'deployment')
  t.equal(service.metadata?.ownerReferences?.[0].uid, makeFunction().metadata.uid)
})

t.test('the autoscaler (autoscaling/v2) targets the Deployment on CPU between min and max', async (t) => {
  const fn = makeFunction({ minReplicas: 1, maxReplicas: 3 })
  const hpa = buildAutoscaler(fn, 50)
  t.equal(hpa.apiVersion, 'autoscaling/v2')
  t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: buildDeployment(fn, inputs()).metadata?.name })
  t.match(hpa.spec, { minReplicas: 1, maxReplicas: 3 })
  t.same(hpa.spec?.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }])
})
