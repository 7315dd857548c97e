import t, { type Test } from 'tap'
import type { CoreV1Event, V1ConfigMap, V1Deployment, V1Job, V1Secret, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import { useSharedCluster, waitFor, type Cluster } from '@kless/testkit'
import type { Function } from '../../src/api/types.js'
import { startGitServer } from '../git/git-server.js'
import { childrenOf, functionPath, getJson, isReady, registrySecret, startController, waitForFunction, type ControllerProcess } from './harness.js'

const REGISTRY = 'registry.kless.test:5000'

const fnObject = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  apiVersion: 'serverless.kyma-project.io/v1alpha1',
  kind: 'Function',
  metadata: { name, labels },
  spec: { runtime: 'nodejs12', minReplicas: 1, maxReplicas: 1, ...spec },
})
const source = (name: string) => `module.exports = { main: () => "${name}" }`

/** A namespace, its system namespace with the default registry Secret, and a controller watching only it. */
async function controlledNamespace(t: Test, cluster: Cluster, prefix: string, env: Record<string, string> = {}) {
  const ns = await cluster.createNamespace(prefix)
  const system = await cluster.createNamespace(`${prefix}-system`)
  t.teardown(async () => {
    await cluster.deleteNamespace(ns)
    await cluster.deleteNamespace(system)
  })
  await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registrySecret(system, REGISTRY)))
  const start = (extra: Record<string, string> = {}) => startController(cluster, { APP_SYSTEM_NAMESPACE: system, APP_WATCH_NAMESPACE: ns, ...env, ...extra })
  return { ns, system, start }
}

/** What the tests read from one namespace. */
function namespaceView(cluster: Cluster, ns: string, controller?: () => ControllerProcess) {
  const get = (name: string) => getJson<Function>(cluster, functionPath(ns, name)) as Promise<Function>
  const eventList = async (name: string) =>
    ((await getJson<{ items: CoreV1Event[] }>(cluster, `/api/v1/namespaces/${ns}/events`))?.items ?? []).filter((e) => e.involvedObject.name === name)
  return {
    apply: (fn: object) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(fn)),
    patch: (name: string, body: object) => cluster.kubectl(['patch', '-n', ns, 'function', name, '--type=merge', '-p', JSON.stringify(body)]),
    get,
    ready: (name: string) => waitForFunction(cluster, ns, name, isReady, 60_000, controller?.()) as Promise<Function>,
    until: (name: string, done: (fn: Function | undefined) => boolean, timeoutMs = 60_000) =>
      waitForFunction(cluster, ns, name, done, timeoutMs, controller?.()),
    jobs: (uid: string) => childrenOf<V1Job>(cluster, ns, 'apis/batch/v1/jobs', uid),
    deployments: (uid: string) => childrenOf<V1Deployment>(cluster, ns, 'apis/apps/v1/deployments', uid),
    autoscalers: (uid: string) => childrenOf<V2HorizontalPodAutoscaler>(cluster, ns, 'apis/autoscaling/v2/horizontalpodautoscalers', uid),
    eventList,
    events: async (name: string) => (await eventList(name)).map((e) => e.reason as string),
    eventually: (name: string, reason: string) =>
      waitFor(
        async () => (await eventList(name)).some((e) => e.reason === reason),
        30_000,
        () => `a ${reason} event for ${name}`,
      ).then(() => true),
  }
}

const destination = (job: V1Job) => job.spec?.template.spec?.containers[0].args?.find((a) => a.startsWith('--destination='))?.slice(14)
const withReason = (reason: string) => (fn: Function | undefined) => fn?.status?.conditions?.some((c) => c.reason === reason) ?? false
const leaderGauge = async (replica: ControllerProcess) =>
  Number(/^kless_function_controller_leader (\d)/m.exec(await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text())?.[1])

t.test('the Function pipeline on a real API server', async (t) => {
  const cluster = await useSharedCluster()
  const pipeline = await controlledNamespace(t, cluster, 'pipeline', {
    APP_FUNCTION_READY_REQUEUE_DURATION_SECONDS: '2',
    APP_GIT_FETCH_REQUEUE_DURATION_SECONDS: '2',
  })
  const { ns } = pipeline
  const gitServer = await startGitServer()
  t.teardown(() => gitServer.close())
  const controller: ControllerProcess = await pipeline.start()
  t.teardown(() => controller.stop())
  const view = namespaceView(cluster, ns, () => controller)
  const { apply, patch, ready, until, jobs, deployments, autoscalers, events, eventually } = view

  // Each subtest has a Function of its own, so one failing leaves the others to tell their story.

  await t.test('an inline Function gets its ConfigMap, build Job, Deployment and Service, then True True True', async (t) => {
    await apply(
      fnObject('hello', {
        source: source('hello'),
        resources: { requests: { cpu: '50m', memory: '64Mi' } },
        buildResources: { limits: { cpu: '1', memory: '1Gi' } },
      }),
    )
    const fn = await ready('hello')
    const uid = fn.metadata.uid as string
    t.same(
      fn.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Running', 'True', 'DeploymentReady'],
        ['BuildReady', 'True', 'JobFinished'],
        ['ConfigurationReady', 'True', 'ConfigMapCreated'],
      ],
    )
    t.match(fn.status, { source: fn.spec.source, runtime: 'nodejs12' })

    const [configMap] = await childrenOf<V1ConfigMap>(cluster, ns, 'configmaps', uid)
    t.same(configMap.data, { source: fn.spec.source, dependencies: '{}' })
    t.match(configMap.metadata?.labels, {
      'serverless.kyma-project.io/function-name': 'hello',
      'serverless.kyma-project.io/managed-by': 'function-controller',
      'serverless.kyma-project.io/uuid': uid,
    })
    t.match(fn.status?.conditions?.find((c) => c.type === 'ConfigurationReady')?.message, `ConfigMap ${configMap.metadata?.name} created`)

    const [job, ...moreJobs] = await jobs(uid)
    t.equal(moreJobs.length, 0)
    t.match(destination(job), new RegExp(`^${REGISTRY}/${ns}-hello:[0-9a-f]{64}$`))
    t.same(job.spec?.template.spec?.containers[0].resources, { limits: { cpu: '1', memory: '1Gi' } })
    t.equal(job.spec?.template.spec?.volumes?.find((v) => v.name === 'sources')?.configMap?.name, configMap.metadata?.name)
    t.equal(job.spec?.template.spec?.volumes?.find((v) => v.name === 'credentials')?.secret?.secretName, 'serverless-registry-config-default')
    t.ok(await getJson<V1Secret>(cluster, `/api/v1/namespaces/${ns}/secrets/serverless-registry-config-default`), 'the registry Secret was propagated')
    t.ok(await getJson<V1ConfigMap>(cluster, `/api/v1/namespaces/${ns}/configmaps/dockerfile-nodejs12`), 'the runtime Dockerfile is in the namespace')

    const [deployment] = await deployments(uid)
    t.equal(deployment.spec?.template.spec?.containers[0].image, destination(job))
    t.equal(deployment.spec?.replicas, 1)
    const service = await getJson<V1Service>(cluster, `/api/v1/namespaces/${ns}/services/hello`)
    t.match(service?.spec?.ports, [{ port: 80, targetPort: 8080 }])
    t.equal((await autoscalers(uid)).length, 0, 'no autoscaler while minReplicas == maxReplicas')

    for (const reason of ['ConfigMapCreated', 'JobCreated', 'JobFinished', 'DeploymentCreated', 'ServiceCreated', 'DeploymentReady']) {
      t.ok((await events('hello')).includes(reason), `event ${reason}`)
    }
    const table = await cluster.kubectl(['get', 'functions', '-n', ns, 'hello'])
    t.match(table, /NAME\s+CONFIGURED\s+BUILT\s+RUNNING\s+RUNTIME\s+VERSION\s+AGE/)
    t.match(table, /hello\s+True\s+True\s+True\s+nodejs12\s+1\s/)
  })

  await t.test('an env-only change rolls the Deployment without a build', async (t) => {
    await apply(fnObject('env-change', { source: source('env-change') }))
    const uid = (await ready('env-change')).metadata.uid as string
    const [jobBefore] = await jobs(uid)
    await patch('env-change', { spec: { env: [{ name: 'GREETING', value: 'hey' }] }, metadata: { labels: { team: 'a' } } })
    await waitFor(
      async () => !!(await deployments(uid))[0]?.spec?.template.spec?.containers[0].env?.some((e) => e.name === 'GREETING'),
      30_000,
      () => 'the Deployment to get the new env',
    )
    t.ok(await eventually('env-change', 'DeploymentUpdated'))
    await ready('env-change')
    t.same(
      (await jobs(uid)).map((j) => j.metadata?.name),
      [jobBefore.metadata?.name],
      'still the one Job',
    )
  })

  await t.test('a source change builds a new image, deletes the old Job and updates the Deployment', async (t) => {
    await apply(fnObject('source-change', { source: source('source-change') }))
    const uid = (await ready('source-change')).metadata.uid as string
    const [oldJob] = await jobs(uid)
    await patch('source-change', { spec: { source: source('changed') } })
    await waitFor(
      async () => {
        const current = await jobs(uid)
        return current.length === 1 && current[0].metadata?.name !== oldJob.metadata?.name
      },
      30_000,
      () => 'a new build Job replacing the old one',
    )
    const [newJob] = await jobs(uid)
    t.not(destination(newJob), destination(oldJob))
    await waitFor(
      async () => (await deployments(uid))[0]?.spec?.template.spec?.containers[0].image === destination(newJob),
      30_000,
      () => 'the Deployment to run the new image',
    )
    await ready('source-change')
    for (const reason of ['ConfigMapUpdated', 'JobsDeleted', 'DeploymentUpdated']) t.ok(await eventually('source-change', reason), `event ${reason}`)
  })

  await t.test('replicas 1/1 → 1/3 creates an autoscaler, and back to 1/1 removes it', async (t) => {
    await apply(fnObject('scaling', { source: source('scaling') }))
    const uid = (await ready('scaling')).metadata.uid as string
    await patch('scaling', { spec: { maxReplicas: 3 } })
    await waitFor(
      async () => (await autoscalers(uid)).length === 1,
      30_000,
      () => 'an autoscaler',
    )
    const [hpa] = await autoscalers(uid)
    t.match(hpa.spec, { minReplicas: 1, maxReplicas: 3, scaleTargetRef: { kind: 'Deployment' } })
    t.ok(await eventually('scaling', 'HorizontalPodAutoscalerCreated'))
    await patch('scaling', { spec: { maxReplicas: 1 } })
    await waitFor(
      async () => (await autoscalers(uid)).length === 0,
      30_000,
      () => 'the autoscaler to go',
    )
    await ready('scaling')
  })

  await t.test('a failed build reports JobFailed and is not retried with the same inputs', async (t) => {
    await apply(fnObject('broken-build', { source: 'module.exports = {}' }, { 'kless.test/pod-outcome': 'fail' }))
    const fn = await until('broken-build', withReason('JobFailed'))
    const condition = fn?.status?.conditions?.find((c) => c.type === 'BuildReady')
    t.match(condition, { status: 'False', reason: 'JobFailed', message: /Job broken-build-build-\w+ failed/ })
    t.ok(await eventually('broken-build', 'JobFailed'))
    t.equal((await view.eventList('broken-build')).find((e) => e.reason === 'JobFailed')?.type, 'Warning')
    await new Promise((resolve) => setTimeout(resolve, 4000))
    const builds = await jobs(fn?.metadata.uid as string)
    t.equal(builds.length, 1, 'no second Job')
    t.equal(builds[0].status?.failed, 1, 'and no second pod')
  })

  await t.test('crash-looping pods report DeploymentFailed from their state, long before the progress deadline', async (t) => {
    await apply(fnObject('crashing', { source: 'module.exports = {}', labels: { 'kless.test/pod-outcome': 'crash' } }))
    const fn = await until('crashing', withReason('DeploymentFailed'), 60_000)
    t.match(
      fn?.status?.conditions?.find((c) => c.type === 'Running'),
      {
        status: 'False',
        message: /^Deployment crashing-\w+ of Function .*\/crashing failed: pod crashing-[\w-]+: container function CrashLoopBackOff, restarted 5 times/,
      },
    )
    t.ok(await eventually('crashing', 'DeploymentFailed'))
  })

  await t.test('a git Function follows its branch through a real git server', async (t) => {
    const first = gitServer.commit('orders', 'main', { 'fn/handler.js': 'module.exports = { main: () => 1 }', 'fn/package.json': '{}' })
    await apply({
      apiVersion: 'serverless.kyma-project.io/v1alpha1',
      kind: 'GitRepository',
      metadata: { name: 'orders' },
      spec: { url: gitServer.url('orders') },
    })
    await apply(fnObject('from-git', { type: 'git', source: 'orders', reference: 'main', baseDir: '/fn' }))
    let fn = await ready('from-git')
    t.equal(fn.status?.commit, first)
    t.match(
      fn.status?.conditions?.find((c) => c.type === 'ConfigurationReady'),
      { reason: 'SourceUpdated', message: new RegExp(first) },
    )
    const [job] = await jobs(fn.metadata.uid as string)
    t.match(job.spec?.template.spec?.initContainers?.[0].env, [
      { name: 'APP_REPOSITORY_URL', value: gitServer.url('orders') },
      { name: 'APP_REPOSITORY_COMMIT', value: first },
    ])
    t.match(job.spec?.template.spec?.containers[0].volumeMounts?.at(-1), { name: 'workspace', subPath: 'fn', mountPath: '/workspace/src' })

    const second = gitServer.commit('orders', 'main', { 'fn/handler.js': 'module.exports = { main: () => 2 }' })
    fn = (await until('from-git', (f) => f?.status?.commit === second && isReady(f))) as Function
    const builds = await jobs(fn.metadata.uid as string)
    t.equal(builds.length, 1)
    t.match(builds[0].spec?.template.spec?.initContainers?.[0].env, [{}, { name: 'APP_REPOSITORY_COMMIT', value: second }])
  })

  await t.test('a git reference that does not exist is SourceUpdateFailed', async (t) => {
    gitServer.commit('payments', 'main', { 'handler.js': 'module.exports = { main: () => 1 }' })
    await apply({
      apiVersion: 'serverless.kyma-project.io/v1alpha1',
      kind: 'GitRepository',
      metadata: { name: 'payments' },
      spec: { url: gitServer.url('payments') },
    })
    await apply(fnObject('git-no-branch', { type: 'git', source: 'payments', reference: 'no-such-branch', baseDir: '/' }))
    const fn = await until('git-no-branch', withReason('SourceUpdateFailed'), 30_000)
    t.match(
      fn?.status?.conditions?.find((c) => c.type === 'ConfigurationReady'),
      { status: 'False', message: /no branch or tag named "no-such-branch"/ },
    )
  })

  await t.test('input that slipped past the webhooks gives a False condition, not a crash loop', async (t) => {
    await apply(fnObject('no-repo', { type: 'git', source: 'missing-repo', reference: 'main', baseDir: '/' }))
    const fn = await until('no-repo', withReason('SourceUpdateFailed'), 30_000)
    t.match(fn?.status?.conditions?.[0], {
      type: 'ConfigurationReady',
      status: 'False',
      message: /GitRepository .*missing-repo of Function .*no-repo not found/,
    })
    const rejected = await apply(fnObject('cobol', { source: 'x', runtime: 'cobol' })).catch((err: Error) => err.message)
    t.match(rejected, /Unsupported value: "cobol"/, 'an unknown runtime is stopped by the CRD schema before it reaches the controller')
    t.equal(controller.process.child.exitCode, null, 'the controller is still running')
  })

  await t.test('a write the API server refuses is a Warning Event naming the step, the Function and the object', async (t) => {
    // A dotted name passes the CRD (the webhook would refuse it) but is no valid Service name.
    await apply(fnObject('hello.v2', { source: source('hello.v2') }))
    let event: CoreV1Event | undefined
    await waitFor(
      async () => !!(event = (await view.eventList('hello.v2')).find((e) => e.reason === 'ReconcileFailed')),
      60_000,
      () => `a ReconcileFailed event for hello.v2\n${controller.process.output().slice(-2000)}`,
    )
    t.equal(event?.type, 'Warning')
    t.match(
      event?.message,
      new RegExp(`^deploying the workload for Function ${ns}/hello\\.v2: applying Service ${ns}/hello\\.v2: Service "hello\\.v2" is invalid: metadata\\.name`),
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    t.equal((await view.eventList('hello.v2')).filter((e) => e.reason === 'ReconcileFailed').length, 1, 'retries of the same failure add no Events')
    t.match(controller.process.output(), new RegExp(`"level":"error".*"function":"${ns}/hello.v2"`), 'and a JSON log line with the Function key')
  })

  await t.test('deleting a Function garbage-collects its children', async (t) => {
    await apply(fnObject('short-lived', { source: source('short-lived') }))
    const uid = (await ready('short-lived')).metadata.uid as string
    await cluster.kubectl(['delete', '-n', ns, 'function', 'short-lived'])
    await waitFor(
      async () => {
        const counts = await Promise.all([childrenOf(cluster, ns, 'configmaps', uid), jobs(uid), deployments(uid), childrenOf(cluster, ns, 'services', uid)])
        return counts.every((list) => list.length === 0)
      },
      60_000,
      () => 'the children of short-lived to be garbage-collected',
    )
    t.pass('ConfigMap, Job, Deployment and Service are gone')
  })

  await t.test('a namespace registry Secret: without registryAddress ConfigurationReady False; fixed, a rebuild for that registry', async (t) => {
    const own = await controlledNamespace(t, cluster, 'registry')
    const registryController = await own.start()
    t.teardown(() => registryController.stop())
    const local = namespaceView(cluster, own.ns, () => registryController)
    await local.apply(fnObject('hello', { source: source('registry') }))
    const uid = (await local.ready('hello')).metadata.uid as string

    const external = registrySecret(own.ns, 'external.kless.test', 'serverless-registry-config')
    external.metadata.labels = { 'serverless.kyma-project.io/remote-registry': 'config' } as never
    const incomplete: Record<string, string> = { ...external.stringData }
    delete incomplete.registryAddress
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify({ ...external, stringData: incomplete }))
    const broken = await local.until('hello', withReason('SourceUpdateFailed'), 30_000)
    t.match(broken?.status?.conditions?.[0], {
      type: 'ConfigurationReady',
      status: 'False',
      message: `preparing namespace ${own.ns} for Function ${own.ns}/hello: Secret serverless-registry-config has no registryAddress`,
    })
    t.ok(await local.eventually('hello', 'SourceUpdateFailed'))

    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(external))
    await waitFor(
      async () => (await local.deployments(uid))[0]?.spec?.template.spec?.containers[0].image?.startsWith('external.kless.test/') ?? false,
      30_000,
      () => 'the Deployment to run the image from the new registry',
    )
    await local.ready('hello')
    t.match((await local.jobs(uid)).map(destination), [/^external\.kless\.test\/.*-hello:/], 'built for the new registry, the old Job gone')
  })

  await t.test('no more builds at once than functionBuildMaxSimultaneousJobs', async (t) => {
    const throttled = await controlledNamespace(t, cluster, 'throttled', { APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS: '2' })
    const limited = await throttled.start()
    t.teardown(() => limited.stop())
    const names = Array.from({ length: 8 }, (_, i) => `throttled-${i}`)
    await cluster.kubectl(
      ['apply', '-n', throttled.ns, '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map((name) => fnObject(name, { source: source(name) })) }),
    )
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const list = await getJson<{ items: V1Job[] }>(cluster, `/apis/batch/v1/namespaces/${throttled.ns}/jobs`)
        const running = (list?.items ?? []).filter((job) => !job.status?.succeeded && !job.status?.failed).length
        most = Math.max(most, running)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    for (const name of names) await waitForFunction(cluster, throttled.ns, name, isReady, 90_000, limited)
    sampling = false
    await sampler
    t.ok(most <= 2, `at most 2 builds ran at once (saw ${most})`)
    t.ok(most >= 1, 'builds were seen running')
  })

  await t.test('two replicas: one leads; when it dies, the other takes over', async (t) => {
    // A lease long enough that a busy machine does not let it lapse between renewals.
    const ha = await controlledNamespace(t, cluster, 'ha', { APP_LEADER_ELECTION_LEASE_SECONDS: '8' })
    const first = await ha.start({ POD_NAME: 'replica-a' })
    t.teardown(() => first.stop())
    await waitFor(
      async () => (await leaderGauge(first)) === 1,
      10_000,
      () => 'replica-a to lead',
    )
    const second = await ha.start({ POD_NAME: 'replica-b' })
    t.teardown(() => second.stop())
    const apply = (name: string) => cluster.kubectl(['apply', '-n', ha.ns, '-f', '-'], JSON.stringify(fnObject(name, { source: source(name) })))
    await apply('ha-one')
    await waitForFunction(cluster, ha.ns, 'ha-one', isReady, 60_000, first)
    t.equal(await leaderGauge(second), 0, `replica-b stands by\n${first.process.output().slice(-1500)}\n${second.process.output().slice(-1500)}`)
    first.kill9()
    await apply('ha-two')
    await waitForFunction(cluster, ha.ns, 'ha-two', isReady, 60_000, second)
    t.equal(await leaderGauge(second), 1, 'replica-b leads once the lease of replica-a expired')
  })

  await t.test('metrics count reconciles', async (t) => {
    const text = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text()
    t.match(text, /kless_function_reconcile_total\{outcome="success"\} [1-9]/)
    t.match(text, /kless_function_workqueue_depth \d/)
    t.match(text, /kless_function_reconcile_duration_seconds_bucket/)
    t.match(text, /^kless_function_controller_leader 1$/m)
  })
})
