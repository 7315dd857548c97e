import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { V1ConfigMap, V1Deployment, V1Job, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import { startCluster, waitFor, type Cluster } from '@kless/testkit'
import { parse } from 'yaml'
import type { Function } from '../../src/api/types.js'
import { startGitServer } from '../git/git-server.js'
import { childrenOf, functionPath, getJson, isReady, registrySecret, sleep, startController, waitForFunction, type ControllerProcess } from './harness.js'

// These tests own their cluster: the seed examples live in the default namespace, and one test restarts the API server.
const SEED_EXAMPLES = fileURLToPath(new URL('../../../testkit/fixtures/seed-examples/', import.meta.url))
const REGISTRY = 'registry.kless.test:5000'

const seedFunction = (file: string) => parse(readFileSync(`${SEED_EXAMPLES}${file}`, 'utf8')) as Function

async function children(cluster: Cluster, ns: string, uid: string) {
  return {
    configMaps: await childrenOf<V1ConfigMap>(cluster, ns, 'configmaps', uid),
    jobs: await childrenOf<V1Job>(cluster, ns, 'apis/batch/v1/jobs', uid),
    deployments: await childrenOf<V1Deployment>(cluster, ns, 'apis/apps/v1/deployments', uid),
    services: await childrenOf<V1Service>(cluster, ns, 'services', uid),
    autoscalers: await childrenOf<V2HorizontalPodAutoscaler>(cluster, ns, 'apis/autoscaling/v2/horizontalpodautoscalers', uid),
  }
}

const destination = (job: V1Job) => job.spec?.template.spec?.containers[0].args?.find((a) => a.startsWith('--destination='))?.slice(14)

t.test('on a private cluster', async (t) => {
  const cluster = await startCluster()
  t.teardown(() => cluster.stop())
  await cluster.kubectl(['create', 'namespace', 'kyma-system'])
  await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registrySecret('kyma-system', REGISTRY)))

  await t.test('every seed example Function, applied unchanged, ends True True True with its children', async (t) => {
    const controller = await startController(cluster, {})
    t.teardown(() => controller.stop())
    // function-git.yaml builds from the GitRepository "auth-basic" at branchA: served here by a real git server.
    const credentials = { username: 'fn-reader', password: 'let-me-in' }
    const gitServer = await startGitServer(credentials)
    t.teardown(() => gitServer.close())
    const commit = gitServer.commit('orders', 'branchA', { 'handler.js': 'module.exports = { main: () => "from git" }', 'package.json': '{}' })
    await cluster.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-creds', namespace: 'default' }, stringData: credentials }),
    )
    await cluster.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'serverless.kyma-project.io/v1alpha1',
        kind: 'GitRepository',
        metadata: { name: 'auth-basic', namespace: 'default' },
        spec: { url: gitServer.url('orders'), auth: { type: 'basic', secretName: 'git-creds' } },
      }),
    )

    for (const file of [
      'function-hello-john.yaml',
      'function-cm-env-values.yaml',
      'function-node-envs.yaml',
      'function-python-memfile-max.yaml',
      'function-git.yaml',
    ]) {
      await t.test(file, async (t) => {
        const example = seedFunction(file)
        const name = example.metadata.name as string
        await cluster.kubectl(['apply', '-f', `${SEED_EXAMPLES}${file}`])
        const fn = (await waitForFunction(cluster, 'default', name, isReady, 60_000, controller)) as Function
        const git = example.spec.type === 'git'
        t.same(
          fn.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
          [
            ['Running', 'True', 'DeploymentReady'],
            ['BuildReady', 'True', 'JobFinished'],
            ['ConfigurationReady', 'True', git ? 'SourceUpdated' : 'ConfigMapCreated'],
          ],
          'conditions, newest first',
        )
        const owned = await children(cluster, 'default', fn.metadata.uid as string)
        t.equal(owned.configMaps.length, git ? 0 : 1, 'a source ConfigMap for inline code')
        t.equal(owned.jobs.length, 1, 'one build Job')
        t.equal(owned.deployments.length, 1, 'one Deployment')
        t.same(
          owned.services.map((s) => s.metadata?.name),
          [name],
          'a Service named like the Function',
        )
        t.equal(owned.autoscalers.length, 0, 'no autoscaler: minReplicas == maxReplicas')
        t.equal(owned.deployments[0].spec?.replicas, example.spec.minReplicas ?? 1)
        t.equal(owned.deployments[0].spec?.template.spec?.containers[0].image, destination(owned.jobs[0]))
        const env = owned.deployments[0].spec?.template.spec?.containers[0].env ?? []
        t.same(env.slice(0, example.spec.env?.length ?? 0), example.spec.env ?? [], "the Function's env first, valueFrom kept")
        if (git) t.equal(fn.status?.commit, commit)
        if (example.spec.resources) {
          t.same(owned.deployments[0].spec?.template.spec?.containers[0].resources, {
            limits: { cpu: '1', memory: '1Gi' },
            requests: { cpu: '500m', memory: '500Mi' },
          })
          t.same(owned.jobs[0].spec?.template.spec?.containers[0].resources, { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '1', memory: '1Gi' } })
        }
        const table = await cluster.kubectl(['get', 'functions', '-n', 'default', name])
        t.match(table, /^NAME\s+CONFIGURED\s+BUILT\s+RUNNING\s+RUNTIME\s+VERSION\s+AGE\n/)
        t.match(table, new RegExp(`\\n${name}\\s+True\\s+True\\s+True\\s`))
        // Two examples share a name: delete, and wait for the garbage collector, before the next one.
        await cluster.kubectl(['delete', '-f', `${SEED_EXAMPLES}${file}`, '--wait=true'])
        await waitFor(
          async () => Object.values(await children(cluster, 'default', fn.metadata.uid as string)).every((list) => list.length === 0),
          60_000,
          () => `the children of ${name} to be garbage-collected`,
        )
      })
    }
  })

  await t.test('kill -9 at random points of reconciles: a restart converges, one Job per image, no orphans', async (t) => {
    const ns = await cluster.createNamespace('faults')
    const functions = Array.from({ length: 8 }, (_, i) => `fault-${i}`)
    const applyAll = (version: number) =>
      cluster.kubectl(
        ['apply', '-n', ns, '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: functions.map((name, i) => ({
            apiVersion: 'serverless.kyma-project.io/v1alpha1',
            kind: 'Function',
            metadata: { name },
            // Odd Functions change their code in every version, so builds are replaced mid-flight.
            spec: {
              runtime: 'nodejs12',
              source: `module.exports = { main: () => "${i % 2 ? version : 0}" }`,
              minReplicas: 1,
              maxReplicas: version % 2 ? 2 : 1,
            },
          })),
        }),
      )
    const env = { APP_WATCH_NAMESPACE: ns, APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS: '3' }
    const cycles = 12
    for (let cycle = 0; cycle < cycles; cycle++) {
      if (cycle % 5 === 0) await applyAll(cycle)
      const controller = await startController(cluster, env)
      await sleep(Math.floor(Math.random() * 1500))
      controller.kill9()
      await controller.process.exited
    }
    const final = await startController(cluster, env)
    t.teardown(() => final.stop())
    // Converged: ready, and the children match the Function's current spec (a stale True status does not count).
    const problems = async (name: string): Promise<string[]> => {
      const fn = (await getJson<Function>(cluster, functionPath(ns, name))) as Function
      const owned = await children(cluster, ns, fn.metadata.uid as string)
      const found: string[] = []
      if (!isReady(fn)) found.push('not ready')
      if (owned.configMaps.length !== 1 || owned.configMaps[0].data?.source !== fn.spec.source) found.push(`${owned.configMaps.length} ConfigMaps, or stale`)
      if (owned.jobs.length !== 1) found.push(`${owned.jobs.length} Jobs`)
      if (owned.deployments.length !== 1) found.push(`${owned.deployments.length} Deployments`)
      if (owned.services.length !== 1) found.push(`${owned.services.length} Services`)
      if (owned.autoscalers.length !== (fn.spec.maxReplicas === 2 ? 1 : 0)) found.push(`${owned.autoscalers.length} autoscalers`)
      if (owned.jobs.length === 1 && owned.deployments[0]?.spec?.template.spec?.containers[0].image !== destination(owned.jobs[0])) {
        found.push('the Deployment does not run the image its Job built')
      }
      return found
    }
    let last: string[] = []
    await waitFor(
      async () => (last = (await Promise.all(functions.map(async (name) => (await problems(name)).map((p) => `${name}: ${p}`)))).flat()).length === 0,
      120_000,
      () => `convergence; still: ${last.join('; ')}\n${final.process.output().slice(-2000)}`,
    ).catch((err: Error) => t.fail(err.message))
    for (const name of functions) t.same(await problems(name), [], `${name}: one ConfigMap, Job, Deployment, Service; autoscaler as asked; current image`)

    // No orphans: every object the controller labels as its own has an existing owner.
    const uids = new Set(
      ((await getJson<{ items: Function[] }>(cluster, `/apis/serverless.kyma-project.io/v1alpha1/namespaces/${ns}/functions`))?.items ?? []).map(
        (f) => f.metadata.uid,
      ),
    )
    for (const plural of ['configmaps', 'apis/batch/v1/jobs', 'apis/apps/v1/deployments', 'services', 'apis/autoscaling/v2/horizontalpodautoscalers']) {
      const prefix = plural.startsWith('apis/') ? `/${plural.split('/').slice(0, 3).join('/')}` : '/api/v1'
      const list = await getJson<{ items: V1Job[] }>(
        cluster,
        `${prefix}/namespaces/${ns}/${plural.split('/').at(-1)}?labelSelector=serverless.kyma-project.io/managed-by%3Dfunction-controller`,
      )
      const orphans = (list?.items ?? []).filter((item) => item.metadata?.ownerReferences && !item.metadata.ownerReferences.some((ref) => uids.has(ref.uid)))
      t.same(
        orphans.map((o) => o.metadata?.name),
        [],
        `no orphaned ${plural}`,
      )
    }
  })

  await t.test('an unknown runtime that got past schema and webhooks: a False condition, no retry loop', async (t) => {
    // Only this private cluster can lose the runtime enum from its CRD; that is how such a Function gets in.
    const crd = 'functions.serverless.kyma-project.io'
    const index = await cluster.kubectl(['get', 'crd', crd, '-o', 'jsonpath={.spec.versions[*].name}'])
    await cluster.kubectl([
      'patch',
      'crd',
      crd,
      '--type=json',
      '-p',
      JSON.stringify(
        index.split(' ').map((_, i) => ({ op: 'remove', path: `/spec/versions/${i}/schema/openAPIV3Schema/properties/spec/properties/runtime/enum` })),
      ),
    ])
    const ns = await cluster.createNamespace('bad-runtime')
    const controller = await startController(cluster, { APP_WATCH_NAMESPACE: ns })
    t.teardown(() => controller.stop())
    await waitFor(
      () =>
        cluster
          .kubectl(
            ['apply', '-n', ns, '-f', '-'],
            JSON.stringify({
              apiVersion: 'serverless.kyma-project.io/v1alpha1',
              kind: 'Function',
              metadata: { name: 'cobol' },
              spec: { source: 'x', runtime: 'cobol' },
            }),
          )
          .then(() => true),
      30_000,
      () => 'the API server to accept the Function once the enum is gone',
    )
    const fn = await waitForFunction(cluster, ns, 'cobol', (f) => f?.status?.conditions?.[0]?.status === 'False', 30_000, controller)
    t.match(fn?.status?.conditions, [
      { type: 'ConfigurationReady', status: 'False', reason: 'SourceUpdateFailed', message: /asks for runtime "cobol", which is not one of nodejs12/ },
    ])
    await sleep(3000)
    const metrics = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text()
    t.equal(Number(/^kless_function_reconcile_total\{outcome="terminal"\} (\d+)/m.exec(metrics)?.[1]), 1, 'reconciled once, not retried')
    t.equal(controller.process.child.exitCode, null, 'the controller keeps running')
    t.same(await childrenOf(cluster, ns, 'apis/batch/v1/jobs', fn?.metadata.uid as string), [], 'nothing was built')
  })

  await t.test('an API server restart mid-run: the controller recovers without a restart of its own', async (t) => {
    const ns = await cluster.createNamespace('apiserver-restart')
    const controller: ControllerProcess = await startController(cluster, { APP_WATCH_NAMESPACE: ns })
    t.teardown(() => controller.stop())
    const apply = (name: string) =>
      cluster.kubectl(
        ['apply', '-n', ns, '-f', '-'],
        JSON.stringify({
          apiVersion: 'serverless.kyma-project.io/v1alpha1',
          kind: 'Function',
          metadata: { name },
          spec: { source: `module.exports = { main: () => "${name}" }` },
        }),
      )
    for (const name of ['before-1', 'before-2', 'before-3']) await apply(name)
    await cluster.restartApiServer()
    for (const name of ['after-1', 'after-2', 'after-3']) await apply(name)
    for (const name of ['before-1', 'before-2', 'before-3', 'after-1', 'after-2', 'after-3']) {
      await waitForFunction(cluster, ns, name, isReady, 90_000, controller)
    }
    t.equal(controller.process.child.exitCode, null, 'the controller process kept running')
    t.equal(controller.process.child.signalCode, null)
  })
})
