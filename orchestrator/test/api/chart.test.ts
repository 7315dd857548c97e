/**
 * The Helm chart: values.yaml carries the seed's "Serverless chart" defaults and the same defaulting values the
 * webhook uses; rendered with a real helm, every manifest is accepted by a real API server (server-side dry run).
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { parse } from 'yaml'
import testkit from '@kless/testkit'
import { DEFAULT_WEBHOOK_VALUES, parseWebhookValues } from '../../src/api/config.js'
import { defaultFunction } from '../../src/api/defaults.js'
import { readWebhookServerOptions } from '../../src/webhooks/options.js'
import { CHART, renderChart, type Manifest } from '../webhooks/helm.js'
import { fn } from './fixtures.js'

const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'))
const at = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], values)

t.test("values.yaml has the seed's Serverless chart defaults, row by row", async (t) => {
  const rows: [string, unknown][] = [
    ['webhook.values.buildJob.resources.minRequestCpu', '200m'],
    ['webhook.values.buildJob.resources.minRequestMemory', '200Mi'],
    ['webhook.values.buildJob.resources.defaultPreset', 'normal'],
    ['webhook.values.function.replicas.minValue', 1],
    ['webhook.values.function.replicas.defaultPreset', 'S'],
    ['webhook.values.function.resources.minRequestCpu', '10m'],
    ['webhook.values.function.resources.minRequestMemory', '16Mi'],
    ['webhook.values.function.resources.defaultPreset', 'M'],
    ['webhook.values.deployment.resources.requests.cpu', '30m'],
    ['webhook.values.deployment.resources.requests.memory', '50Mi'],
    ['webhook.values.deployment.resources.limits.cpu', '300m'],
    ['webhook.values.deployment.resources.limits.memory', '300Mi'],
    ['containers.manager.envs.functionBuildMaxSimultaneousJobs.value', '5'],
  ]
  for (const [path, expected] of rows) t.equal(at(path), expected, path)
})

t.test('webhook.values in values.yaml are exactly the defaults the webhook uses without a values file', async (t) => {
  t.same(parseWebhookValues(at('webhook.values')), DEFAULT_WEBHOOK_VALUES)
})

t.test('a bad values file is refused with every problem named', async (t) => {
  t.throws(
    () =>
      parseWebhookValues({
        function: { replicas: { defaultPreset: 'XXL', presets: { S: { min: 3, max: 1 } } }, resources: { minRequestCpu: 'lots', colour: 'red' } },
      }),
    {
      message: new RegExp(
        [
          'webhook.values.function.replicas.presets.S: min is larger than max',
          'webhook.values.function.replicas.defaultPreset must name one of the presets \\(S, M, L, XL\\), got "XXL"',
          'webhook.values.function.resources.colour is not a known setting',
        ].join('[^]*'),
      ),
    },
  )
  t.throws(() => parseWebhookValues({ function: { resources: { minRequestCpu: 'lots' } } }), {
    message: /webhook.values.function.resources.minRequestCpu must be a non-negative quantity like 100m or 64Mi, got "lots"/,
  })
  t.throws(
    () =>
      parseWebhookValues({
        buildJob: {
          resources: { defaultPreset: 'toString', presets: { tiny: { requestCpu: '100m', requestMemory: '300Mi', limitCpu: '300m', limitMemory: '200Mi' } } },
        },
      }),
    {
      message: new RegExp(
        [
          'webhook.values.buildJob.resources.defaultPreset must name one of the presets \\(local-dev, slow, normal, fast, tiny\\), got "toString"',
          'webhook.values.buildJob.resources.presets.tiny: the request 100m is below the minimum 200m',
          'webhook.values.buildJob.resources.presets.tiny: the request 300Mi is larger than the limit 200Mi',
        ].join('[^]*'),
      ),
    },
  )
  const merged = parseWebhookValues({ buildJob: { resources: { defaultPreset: 'local-dev' } } })
  t.equal(merged.buildJob.resources.defaultPreset, 'local-dev', 'an override merges over the defaults, as Helm does')
  t.equal(merged.function.resources.defaultPreset, 'M')
})

t.test('rendered with helm, the chart is what the webhook and a real API server accept', async (t) => {
  const { manifests: documents, find } = await renderChart('placeholder-ns', '--include-crds')

  const controller = find('Deployment', 'serverless-ctrl-mngr')
  t.match(controller.spec.template.spec.containers[0].env, [{ name: 'APP_SYSTEM_NAMESPACE', value: 'placeholder-ns' }])
  t.ok(
    controller.spec.template.spec.containers[0].env.some((env: Manifest) => env.name === 'APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS' && env.value === '5'),
    'functionBuildMaxSimultaneousJobs reaches the controller',
  )
  const webhookDeployment = find('Deployment', 'serverless-webhook')
  t.same(webhookDeployment.spec.template.spec.containers[0].resources, at('webhook.values.deployment.resources'))

  const valuesDir = mkdtempSync(join(tmpdir(), 'kless-chart-'))
  t.teardown(() => rmSync(valuesDir, { recursive: true, force: true }))
  const valuesFile = join(valuesDir, 'values.yaml')
  writeFileSync(valuesFile, find('ConfigMap', 'serverless-webhook-values').data['values.yaml'])
  t.same(readWebhookServerOptions({ WEBHOOK_VALUES_FILE: valuesFile }).values, DEFAULT_WEBHOOK_VALUES, 'the webhook reads the rendered ConfigMap')

  // The seed's Minikube override column: only the build preset differs.
  const minikube = await renderChart('placeholder-ns', '--set', 'webhook.values.buildJob.resources.defaultPreset=local-dev')
  writeFileSync(valuesFile, minikube.find('ConfigMap', 'serverless-webhook-values').data['values.yaml'])
  const overridden = readWebhookServerOptions({ WEBHOOK_VALUES_FILE: valuesFile }).values
  t.same(
    defaultFunction(fn(), overridden).spec.buildResources,
    { requests: { cpu: '200m', memory: '200Mi' }, limits: { cpu: '400m', memory: '400Mi' } },
    'local-dev builds',
  )
  t.not(
    minikube.find('Deployment', 'serverless-webhook').spec.template.metadata.annotations['checksum/values'],
    find('Deployment', 'serverless-webhook').spec.template.metadata.annotations['checksum/values'],
    'changed values restart the webhook',
  )

  const registry = find('Secret', 'serverless-registry-config-default')
  t.equal(registry.type, 'kubernetes.io/dockerconfigjson')
  t.equal(registry.metadata.labels['serverless.kyma-project.io/config'], 'credentials')
  const username = Buffer.from(registry.data.username, 'base64').toString()
  const password = Buffer.from(registry.data.password, 'base64').toString()
  const auth = { auth: Buffer.from(`${username}:${password}`).toString('base64') }
  const internalAddress = 'serverless-docker-registry.placeholder-ns.svc.cluster.local:5000'
  t.same(
    JSON.parse(Buffer.from(registry.data['.dockerconfigjson'], 'base64').toString()),
    { auths: { 'localhost:32137': auth, [internalAddress]: auth } },
    'the internal registry by default: both addresses',
  )
  t.equal(Buffer.from(registry.data.registryAddress, 'base64').toString(), internalAddress, 'build Jobs push through the Service')
  t.equal(Buffer.from(registry.data.isInternal, 'base64').toString(), 'true')
  t.equal(password.length, 40, 'a generated password')
  t.equal(find('Service', 'serverless-docker-registry').spec.ports[0].nodePort, 32137, 'nodes pull from the NodePort')
  t.equal(find('PersistentVolumeClaim', 'serverless-docker-registry').spec.resources.requests.storage, '20Gi')
  t.match(find('Secret', 'serverless-docker-registry-htpasswd').stringData.htpasswd, new RegExp(`^${username}:\\$2[aby]\\$`), 'the same user, bcrypt-hashed')

  const external = await renderChart(
    'placeholder-ns',
    '--set',
    'dockerRegistry.enableInternal=false',
    '--set',
    'dockerRegistry.serverAddress=registry.example:5000',
    '--set',
    'dockerRegistry.registryAddress=registry.example:5000',
  )
  t.notOk(
    external.manifests.some((manifest) => manifest.metadata.name.startsWith('serverless-docker-registry')),
    'an external registry: no registry in the cluster',
  )
  const externalAuths = JSON.parse(
    Buffer.from(external.find('Secret', 'serverless-registry-config-default').data['.dockerconfigjson'], 'base64').toString(),
  ).auths
  t.same(Object.keys(externalAuths), ['registry.example:5000'])

  const mirrored = await renderChart('placeholder-ns', '--set', 'imageRegistry=mirror.example:5000')
  const env = Object.fromEntries(
    mirrored.find('Deployment', 'serverless-ctrl-mngr').spec.template.spec.containers[0].env.map((entry: Manifest) => [entry.name, entry.value]),
  )
  t.same(
    [
      mirrored.find('Deployment', 'serverless-ctrl-mngr').spec.template.spec.containers[0].image,
      env.APP_FUNCTION_BUILD_EXECUTOR_IMAGE,
      env.APP_FUNCTION_RUNTIME_IMAGE_PREFIX,
    ],
    [
      `mirror.example:5000/kless/orchestrator:${testkit.platformVersion()}`,
      `mirror.example:5000/${at('containers.manager.envs.functionBuildExecutorImage.value')}`,
      'mirror.example:5000/',
    ],
    'imageRegistry prefixes every platform image',
  )

  const hooks = documents.filter((document) => /WebhookConfiguration$/.test(document.kind)).flatMap((document) => document.webhooks)
  t.same(
    hooks.map((hook) => hook.name),
    ['defaulting.webhook.serverless.kyma-project.io', 'registry-secret.webhook.serverless.kyma-project.io', 'validation.webhook.serverless.kyma-project.io'],
  )
  for (const hook of hooks) {
    t.equal(hook.failurePolicy, 'Fail', `${hook.name}: failurePolicy Fail`)
    t.ok(hook.timeoutSeconds <= 10, `${hook.name}: timeout ${hook.timeoutSeconds} s`)
    t.equal(hook.clientConfig.service.name, 'serverless-webhook')
  }

  // A real API server checks every manifest; a dry run changes nothing, so the shared cluster is safe.
  const cluster = await testkit.useSharedCluster()
  const namespace = await cluster.createNamespace('chart')
  t.teardown(() => cluster.deleteNamespace(namespace))
  const forNamespace = (await renderChart(namespace)).text
  const applied = await cluster.kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', '-'], forNamespace)
  t.match(applied, /deployment.apps\/serverless-ctrl-mngr created \(server dry run\)/)
  t.match(applied, /mutatingwebhookconfiguration.admissionregistration.k8s.io\/kless-.*-serverless-webhook created \(server dry run\)/)
  t.equal(applied.trim().split('\n').length, documents.filter((document) => document.kind !== 'CustomResourceDefinition').length, 'every manifest accepted')
})
