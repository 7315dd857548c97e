/**
 * The webhook process against a real API server, set up from the chart: its ServiceAccount, RBAC, certificate
 * Secret, values file and webhook configurations as helm renders them (the configurations call the process on
 * loopback and match only this test's namespace, so the shared cluster's other tests never reach it). Exercised
 * through kubectl and client-node; the webhook itself writes the caBundle.
 */
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { fileURLToPath } from 'url'
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import testkit from '@kless/testkit'
import { API_VERSION, GROUP, LABELS, VERSION, type Function } from '../../src/api/types.js'
import { renderChart } from './helm.js'

const { freePort, start, useSharedCluster, waitFor } = testkit
type Started = ReturnType<typeof start>
const REPO_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..')
const SEED_EXAMPLES = join(REPO_ROOT, 'testkit', 'fixtures', 'seed-examples')
const b64 = (text: string) => Buffer.from(text).toString('base64')
const fromB64 = (text: string) => Buffer.from(text, 'base64').toString('utf8')

t.test('admission webhooks on a real API server', async (t) => {
  const cluster = await useSharedCluster()
  const namespace = await cluster.createNamespace('webhooks')
  const port = await freePort()
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromFile(cluster.kubeconfigPath)
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const customObjects = kubeConfig.makeApiClient(CustomObjectsApi)
  const kubectl = (args: string[], input?: string) => cluster.kubectl(['-n', namespace, ...args], input)

  // The chart's own webhook objects, rendered by helm and installed for real. Two changes make them testable on
  // a shared cluster: the API server calls the webhook process on loopback (url instead of the Service, which has
  // no pods here), and only for this test's namespace.
  const chart = await renderChart(namespace)
  const certSecret = 'serverless-webhook-certs'
  const configurationName = `kless-${namespace}-serverless-webhook`
  const webhookObjects = chart.manifests.filter(
    (manifest) =>
      (manifest.metadata.name === 'serverless-webhook' && ['ServiceAccount', 'Role', 'RoleBinding'].includes(manifest.kind)) ||
      (manifest.metadata.name === configurationName && /^(Cluster|Mutating|Validating)/.test(manifest.kind)) ||
      (manifest.kind === 'Secret' && manifest.metadata.name === certSecret),
  )
  t.same(webhookObjects.map((manifest) => manifest.kind).sort(), [
    'ClusterRole',
    'ClusterRoleBinding',
    'MutatingWebhookConfiguration',
    'Role',
    'RoleBinding',
    'Secret',
    'ServiceAccount',
    'ValidatingWebhookConfiguration',
  ])
  for (const manifest of webhookObjects.filter((manifest) => manifest.webhooks)) {
    for (const hook of manifest.webhooks) {
      hook.clientConfig = { url: `https://127.0.0.1:${port}${hook.clientConfig.service.path}` }
      hook.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': namespace } }
    }
  }
  const clusterScoped = webhookObjects.filter((manifest) => !manifest.metadata.namespace)
  let webhook: Started | undefined
  t.teardown(async () => {
    await webhook?.stop()
    await cluster.kubectl(['delete', '--ignore-not-found', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clusterScoped }))
    await cluster.deleteNamespace(namespace)
  })
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: webhookObjects }))

  // The webhook runs with the chart's ServiceAccount, so the chart's RBAC is what lets it work.
  const dir = mkdtempSync(join(tmpdir(), 'kless-webhook-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const token = (await kubectl(['create', 'token', 'serverless-webhook', '--duration=1h'])).trim()
  const serviceAccountConfig = new KubeConfig()
  serviceAccountConfig.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: b64(cluster.caPem) }],
    users: [{ name: 'serverless-webhook', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'serverless-webhook' }],
    currentContext: 'test',
  })
  writeFileSync(join(dir, 'kubeconfig'), serviceAccountConfig.exportConfig())
  writeFileSync(join(dir, 'values.yaml'), chart.find('ConfigMap', 'serverless-webhook-values').data['values.yaml'])

  const startWebhook = () =>
    start(process.execPath, ['--import=@tapjs/typescript/import', 'orchestrator/src/webhook-main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(REPO_ROOT, 'orchestrator', 'tsconfig.json'),
        TS_NODE_TRANSPILE_ONLY: '1',
        KUBECONFIG: join(dir, 'kubeconfig'),
        WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PORT: String(port),
        WEBHOOK_NAMESPACE: namespace,
        WEBHOOK_SERVICE_NAME: 'serverless-webhook',
        WEBHOOK_SECRET_NAME: certSecret,
        WEBHOOK_CERT_EXTRA_HOSTS: '127.0.0.1',
        WEBHOOK_MUTATING_CONFIGURATION: configurationName,
        WEBHOOK_VALIDATING_CONFIGURATION: configurationName,
        WEBHOOK_VALUES_FILE: join(dir, 'values.yaml'),
        WEBHOOK_RECONCILE_INTERVAL_SECONDS: '2',
      },
    })
  webhook = startWebhook()
  const running = () => webhook as Started

  const caBundles = async (): Promise<string[]> => {
    const bundles: string[] = []
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const configuration = JSON.parse((await cluster.api('GET', `/apis/admissionregistration.k8s.io/v1/${kind}/${configurationName}`)).body)
      for (const hook of configuration.webhooks) bundles.push(hook.clientConfig.caBundle ?? '')
    }
    return bundles
  }
  const storedCa = async () => fromB64((await core.readNamespacedSecret({ name: certSecret, namespace })).data?.['ca.crt'] ?? '')
  const probe = `apiVersion: ${API_VERSION}\nkind: Function\nmetadata:\n  name: probe\nspec:\n  source: x\n`
  /** Until the API server calls this webhook with the CA it now trusts, a server-side dry run fails. */
  const untilServed = async (ca: string) => {
    await waitFor(
      async () => (await caBundles()).every((bundle) => bundle === b64(ca)),
      30_000,
      () => `caBundles to carry the CA\n${running().output()}`,
    )
    await waitFor(
      async () => JSON.parse(await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], probe)).spec.runtime === 'nodejs12',
      30_000,
      () => `the API server to call the webhook\n${running().output()}`,
    )
  }

  await waitFor(
    async () => (await storedCa()).includes('BEGIN CERTIFICATE'),
    60_000,
    () => `the certificate Secret\n${running().output()}`,
  )
  const firstCa = await storedCa()
  await untilServed(firstCa)

  t.test('the stored Function shows the defaults; presets from labels apply', async (t) => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: ${API_VERSION}\nkind: Function\nmetadata:\n  name: plain\nspec:\n  source: |\n    module.exports = { main: () => 'hi' }\n`,
    )
    const stored = JSON.parse(await kubectl(['get', 'function', 'plain', '-o', 'json'])) as Function
    t.same(
      {
        runtime: stored.spec.runtime,
        minReplicas: stored.spec.minReplicas,
        maxReplicas: stored.spec.maxReplicas,
        resources: stored.spec.resources,
        buildResources: stored.spec.buildResources,
      },
      {
        runtime: 'nodejs12',
        minReplicas: 1,
        maxReplicas: 1,
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
        buildResources: { requests: { cpu: '700m', memory: '700Mi' }, limits: { cpu: '1100m', memory: '1100Mi' } },
      },
    )
    const body: Function = {
      apiVersion: API_VERSION,
      kind: 'Function',
      metadata: { name: 'preset', labels: { [LABELS.replicasPreset]: 'L', [LABELS.functionResourcesPreset]: 'XS', [LABELS.buildResourcesPreset]: 'fast' } },
      spec: { source: 'def main(event, context):\n    return "hi"\n', runtime: 'python38', resources: { limits: { memory: '24Mi' } } },
    }
    const created = (await customObjects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'functions', body })) as Function
    t.same([created.spec.minReplicas, created.spec.maxReplicas], [1, 5], 'replicas preset L')
    t.same(created.spec.resources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '25m', memory: '24Mi' } }, 'XS with the user limit kept')
    t.same(created.spec.buildResources, { requests: { cpu: '1100m', memory: '1100Mi' }, limits: { cpu: '1700m', memory: '1700Mi' } }, 'build preset fast')
  })

  t.test('every seed example passes the webhooks', async (t) => {
    for (const file of readdirSync(SEED_EXAMPLES).filter((name) => name.endsWith('.yaml'))) {
      // The examples name the default namespace; here they go to the test's. {VALUE} stands for base64 values.
      const text = readFileSync(join(SEED_EXAMPLES, file), 'utf8').replace(/\{VALUE\}/g, b64('value'))
      const objects = parseAllDocuments(text).map((document) => document.toJS())
      for (const object of objects) delete object.metadata.namespace
      const applied = await kubectl(['apply', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }))
      const stored = JSON.parse(applied)
      const items = stored.kind === 'List' ? stored.items : [stored]
      for (const item of items) {
        if (item.kind === 'Function') t.ok(item.spec.runtime && item.spec.resources?.limits && item.spec.maxReplicas, `${file}: stored with defaults`)
        else if (item.kind === 'Secret') t.ok(item.data['.dockerconfigjson'], `${file}: the Secret got its .dockerconfigjson`)
        else t.equal(item.kind, 'GitRepository', `${file}: accepted`)
      }
      await kubectl(['delete', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }))
    }
  })

  t.test('an invalid object is denied and the message names the field', async (t) => {
    const invalidFunction = `apiVersion: ${API_VERSION}\nkind: Function\nmetadata:\n  name: reserved\nspec:\n  source: x\n  env:\n  - name: FUNC_PORT\n    value: "1"\n`
    await t.rejects(
      kubectl(['apply', '-f', '-'], invalidFunction),
      /denied the request: Function .*\/reserved is invalid: spec.env\[0\].name: FUNC_PORT is reserved/,
    )
    const invalidRepository = `apiVersion: ${API_VERSION}\nkind: GitRepository\nmetadata:\n  name: repo\nspec:\n  url: https://example.com/org/repo\n`
    await t.rejects(kubectl(['apply', '-f', '-'], invalidRepository), /spec.url: "https:\/\/example.com\/org\/repo" must end with .git/)
    const body = {
      apiVersion: API_VERSION,
      kind: 'Function',
      metadata: { name: 'dotted.name' },
      spec: { source: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
    }
    const denial = await customObjects
      .createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'functions', body })
      .catch((error) => error)
    t.equal(denial?.code, 422)
    t.match(
      JSON.parse(String(denial?.body)).message,
      /metadata.name: "dotted.name" is not an RFC 1035 label.*spec.resources.limits.cpu: "1" is less than spec.resources.requests.cpu "2"/,
    )
  })

  t.test('updates are validated like creates', async (t) => {
    await t.rejects(
      kubectl(['patch', 'function', 'plain', '--type=merge', '-p', JSON.stringify({ spec: { deps: 'not json' } })]),
      /spec.deps: must be a valid package.json/,
    )
    await kubectl(['patch', 'function', 'plain', '--type=merge', '-p', JSON.stringify({ spec: { deps: '{"name":"plain","version":"1.0.0"}' } })])
  })

  t.test('a registry Secret gets its .dockerconfigjson; one missing a key is denied', async (t) => {
    const secret = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'serverless-registry-config', labels: { [LABELS.remoteRegistry]: 'config' } },
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, b64(value)])),
    })
    const credentials = { username: 'robot', password: 'hunter2', serverAddress: 'registry.local:5000', registryAddress: 'registry.local:5000' }
    await kubectl(['apply', '-f', '-'], JSON.stringify(secret(credentials)))
    const stored = await core.readNamespacedSecret({ name: 'serverless-registry-config', namespace })
    t.equal(stored.type, 'kubernetes.io/dockerconfigjson')
    t.same(JSON.parse(fromB64(stored.data?.['.dockerconfigjson'] ?? '')), { auths: { 'registry.local:5000': { auth: b64('robot:hunter2') } } })
    await kubectl(['apply', '-f', '-'], JSON.stringify({ ...secret({ ...credentials, password: 'changed' }), type: 'kubernetes.io/dockerconfigjson' }))
    const updated = await core.readNamespacedSecret({ name: 'serverless-registry-config', namespace })
    t.same(
      JSON.parse(fromB64(updated.data?.['.dockerconfigjson'] ?? '')).auths['registry.local:5000'].auth,
      b64('robot:changed'),
      'a password change updates it',
    )
    const withoutPassword = { username: credentials.username, serverAddress: credentials.serverAddress }
    const denied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ ...secret(withoutPassword), metadata: { ...secret({}).metadata, name: 'incomplete' } }),
    ).catch((error: Error) => error.message)
    t.match(
      denied,
      /denied the request: Secret .*\/incomplete is labelled serverless.kyma-project.io\/remote-registry=config but data.password is missing or empty/,
    )
    t.notMatch(denied, /hunter2|robot/, 'no credential in the denial')
    t.notMatch(running().output(), /hunter2|aHVudGVyMg/, 'no credential in the webhook log')
  })

  t.test('a restart reuses the stored certificate; a lost one is regenerated and the configurations follow', async (t) => {
    t.equal(await running().stop(), 0, 'stops cleanly on SIGTERM')
    webhook = startWebhook()
    await untilServed(firstCa)
    t.equal(await storedCa(), firstCa, 'same CA after a restart')

    await running().stop()
    await core.deleteNamespacedSecret({ name: certSecret, namespace })
    webhook = startWebhook()
    await waitFor(
      async () => (await storedCa().catch(() => firstCa)) !== firstCa,
      60_000,
      () => `a new CA\n${running().output()}`,
    )
    const secondCa = await storedCa()
    t.not(secondCa, firstCa, 'a new CA was generated')
    await untilServed(secondCa)
    t.same(new Set(await caBundles()), new Set([b64(secondCa)]), 'every webhook trusts the new CA')
    await running().stop()
    webhook = startWebhook()
    await untilServed(secondCa)
    await core.deleteNamespacedSecret({ name: certSecret, namespace })
    await waitFor(
      async () => ![firstCa, secondCa].includes(await storedCa().catch(() => secondCa)),
      60_000,
      () => `a third CA\n${running().output()}`,
    )
    await untilServed(await storedCa())
    t.pass('a running webhook regenerates a lost certificate and the API server follows, without a restart')
    const reserved = `apiVersion: ${API_VERSION}\nkind: Function\nmetadata:\n  name: after\nspec:\n  source: x\n  env:\n  - name: MOD_NAME\n`
    await t.rejects(kubectl(['apply', '-f', '-'], reserved), /spec.env\[0\].name: MOD_NAME is reserved/, 'validation still answers')
  })
})
