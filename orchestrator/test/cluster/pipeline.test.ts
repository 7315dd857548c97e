import t from 'tap'
import type { CoreV1Event, V1ConfigMap, V1Deployment, V1Job, V1Secret, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import { useSharedCluster, waitFor } from '@kless/testkit'
import type { Function } from '../../src/api/types.js'
import { startGitServer } from '../git/git-server.js'
import {
  childrenOf,
  functionPath,
  getJson,
  isReady,
  registrySecret,
  startController,
  waitForFunction,
  type ControllerProcess,
} from './harness.js'

const REGISTRY = 'registry.kless.test:5000'

t.test('the Function pipeline on a real API server', async (t) => {
  const cluster = await useSharedCluster()
  const ns = await cluster.createNamespace('pipeline')
  const system = await cluster.createNamespace('pipeline-system')
  t.teardown(async () => {
    await cluster.deleteNamespace(ns)
    await cluster.deleteNamespace(system)
  })
  await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registrySecret(system, REGISTRY)))
  const gitServer = await startGitServer()
  t.teardown(() => gitServer.close())
  const controller: ControllerProcess = await startController(cluster, {
    APP_SYSTEM_NAMESPACE: system,
    APP_WATCH_NAMESPACE: ns,
    APP_FUNCTION_PROGRESS_DEADLINE_SECONDS: '5',
    APP_FUNCTION_READY_REQUEUE_DURATION_SECONDS: '2',
    APP_GIT_FETCH_REQUEUE_DURATION_SECONDS: '2',
  })
  t.teardown(() => controller.stop())

  const apply = (fn: object) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(fn))
  const fnObject = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
    apiVersion: 'serverless.kyma-project.io/v1alpha1',
    kind: 'Function',
    metadata: { name, namespace: ns, labels },
    spec: { runtime: 'nodejs12', minReplicas: 1, maxReplicas: 1, ...spec },
  })
  const ready = (name: string) => waitForFunction(cluster, ns, name, isReady, 60_000, controller)
  const jobs = (uid: string) => childrenOf<V1Job>(cluster, ns, 'apis/batch/v1/jobs', uid)
  const deployments = (uid: string) => childrenOf<V1Deployment>(cluster, ns, 'apis/apps/v1/deployments', uid)
  const autoscalers = (uid: string) => childrenOf<V2HorizontalPodAutoscaler>(cluster, ns, 'apis/autoscaling/v2/horizontalpodautoscalers', uid)
  const events = async (name: string) =>
    ((await getJson<{ items: CoreV1Event[] }>(cluster, `/api/v1/namespaces/${ns}/events`))?.items ?? [])
      .filter((e) => e.involvedObject.name === name)
      .map((e) => e.reason as string)
  const destination = (job: V1Job) => job.spec?.template.spec?.containers[0].args?.find((a) => a.startsWith('--destination='))?.slice(14)
  const eventually = (name: string, reason: string) =>
    waitFor(async () => (await events(name)).includes(reason), 30_000, () => `a ${reason} event for ${name}`).then(() => true)
  const leaderGauge = async (replica: ControllerProcess) =>
    Number(/^kless_function_controller_leader (\d)/m.exec(await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text())?.[1])
  const patch = (name: string, body: object) => cluster.kubectl(['patch', '-n', ns, 'function', name, '--type=merge', '-p', JSON.stringify(body)])

  await t.test('an inline Function gets its ConfigMap, build Job, Deployment and Service, then True True True', async (t) => {
    await apply(fnObject('hello', { source: 'module.exports = { main: () => "hi" }', resources: { requests: { cpu: '50m', memory: '64Mi' } }, buildResources: { limits: { cpu: '1', memory: '1Gi' } } }))
    const fn = (await ready('hello')) as Function
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
    const before = (await getJson<Function>(cluster, functionPath(ns, 'hello'))) as Function
    const [jobBefore] = await jobs(before.metadata.uid as string)
    await patch('hello', { spec: { env: [{ name: 'GREETING', value: 'hey' }] }, metadata: { labels: { team: 'a' } } })
    await waitFor(
      async () => {
        const [deployment] = await deployments(before.metadata.uid as string)
        return !!deployment.spec?.template.spec?.containers[0].env?.some((e) => e.name === 'GREETING')
      },
      30_000,
      () => 'the Deployment to get the new env',
    )
    t.ok(await eventually('hello', 'DeploymentUpdated'))
    await ready('hello')
    t.same((await jobs(before.metadata.uid as string)).map((j) => j.metadata?.name), [jobBefore.metadata?.name], 'still the one Job')
  })

  await t.test('a source change builds a new image, deletes the old Job and updates the Deployment', async (t) => {
    const fn = (await getJson<Function>(cluster, functionPath(ns, 'hello'))) as Function
    const uid = fn.metadata.uid as string
    const [oldJob] = await jobs(uid)
    await patch('hello', { spec: { source: 'module.exports = { main: () => "changed" }' } })
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
    await ready('hello')
    for (const reason of ['ConfigMapUpdated', 'JobsDeleted', 'DeploymentUpdated']) t.ok(await eventually('hello', reason), `event ${reason}`)
  })

  await t.test('replicas 1/1 → 1/3 creates an autoscaler, and back to 1/1 removes it', async (t) => {
    const uid = (await getJson<Function>(cluster, functionPath(ns, 'hello')))?.metadata.uid as string
    await patch('hello', { spec: { maxReplicas: 3 } })
    await waitFor(async () => (await autoscalers(uid)).length === 1, 30_000, () => 'an autoscaler')
    const [hpa] = await autoscalers(uid)
    t.match(hpa.spec, { minReplicas: 1, maxReplicas: 3, scaleTargetRef: { kind: 'Deployment' } })
    t.ok(await eventually('hello', 'HorizontalPodAutoscalerCreated'))
    await patch('hello', { spec: { maxReplicas: 1 } })
    await waitFor(async () => (await autoscalers(uid)).length === 0, 30_000, () => 'the autoscaler to go')
    await ready('hello')
  })

  await t.test('a failed build reports JobFailed and is not retried with the same inputs', async (t) => {
    await apply(fnObject('broken-build', { source: 'module.exports = {}' }, { 'kless.test/pod-outcome': 'fail' }))
    const fn = await waitForFunction(cluster, ns, 'broken-build', (f) => f?.status?.conditions?.some((c) => c.reason === 'JobFailed') ?? false, 60_000, controller)
    const condition = fn?.status?.conditions?.find((c) => c.type === 'BuildReady')
    t.match(condition, { status: 'False', reason: 'JobFailed', message: /Job broken-build-build-\w+ failed/ })
    t.ok(await eventually('broken-build', 'JobFailed'))
    const eventType = ((await getJson<{ items: CoreV1Event[] }>(cluster, `/api/v1/namespaces/${ns}/events`))?.items ?? []).find(
      (e) => e.involvedObject.name === 'broken-build' && e.reason === 'JobFailed',
    )?.type
    t.equal(eventType, 'Warning')
    await new Promise((resolve) => setTimeout(resolve, 4000))
    const builds = await jobs(fn?.metadata.uid as string)
    t.equal(builds.length, 1, 'no second Job')
    t.equal(builds[0].status?.failed, 1, 'and no second pod')
  })

  await t.test('pods that never become ready report DeploymentFailed', async (t) => {
    await apply(fnObject('crashing', { source: 'module.exports = {}', labels: { 'kless.test/pod-outcome': 'crash' } }))
    const fn = await waitForFunction(cluster, ns, 'crashing', (f) => f?.status?.conditions?.some((c) => c.reason === 'DeploymentFailed') ?? false, 60_000, controller)
    t.match(fn?.status?.conditions?.find((c) => c.type === 'Running'), { status: 'False', message: /ProgressDeadlineExceeded/ })
  })

  await t.test('a git Function follows its branch through a real git server', async (t) => {
    const first = gitServer.commit('orders', 'main', { 'fn/handler.js': 'module.exports = { main: () => 1 }', 'fn/package.json': '{}' })
    await cluster.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({ apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'GitRepository', metadata: { name: 'orders' }, spec: { url: gitServer.url('orders') } }),
    )
    await apply(fnObject('from-git', { type: 'git', source: 'orders', reference: 'main', baseDir: '/fn' }))
    let fn = (await ready('from-git')) as Function
    t.equal(fn.status?.commit, first)
    t.match(fn.status?.conditions?.find((c) => c.type === 'ConfigurationReady'), { reason: 'SourceUpdated', message: new RegExp(first) })
    const [job] = await jobs(fn.metadata.uid as string)
    t.match(job.spec?.template.spec?.initContainers?.[0].env, [{ name: 'APP_REPOSITORY_URL', value: gitServer.url('orders') }, { name: 'APP_REPOSITORY_COMMIT', value: first }])
    t.match(job.spec?.template.spec?.containers[0].volumeMounts?.at(-1), { name: 'workspace', subPath: 'fn', mountPath: '/workspace/src' })

    const second = gitServer.commit('orders', 'main', { 'fn/handler.js': 'module.exports = { main: () => 2 }' })
    fn = (await waitForFunction(cluster, ns, 'from-git', (f) => f?.status?.commit === second && isReady(f), 60_000, controller)) as Function
    const builds = await jobs(fn.metadata.uid as string)
    t.equal(builds.length, 1)
    t.match(builds[0].spec?.template.spec?.initContainers?.[0].env, [{}, { name: 'APP_REPOSITORY_COMMIT', value: second }])

    await patch('from-git', { spec: { reference: 'no-such-branch' } })
    fn = (await waitForFunction(cluster, ns, 'from-git', (f) => f?.status?.conditions?.some((c) => c.reason === 'SourceUpdateFailed') ?? false, 30_000, controller)) as Function
    t.match(fn.status?.conditions?.find((c) => c.type === 'ConfigurationReady'), { status: 'False', message: /no branch or tag named "no-such-branch"/ })
  })

  await t.test('input that slipped past the webhooks gives a False condition, not a crash loop', async (t) => {
    await apply(fnObject('no-repo', { type: 'git', source: 'missing-repo', reference: 'main', baseDir: '/' }))
    const fn = await waitForFunction(cluster, ns, 'no-repo', (f) => f?.status?.conditions?.some((c) => c.reason === 'SourceUpdateFailed') ?? false, 30_000, controller)
    t.match(fn?.status?.conditions?.[0], { type: 'ConfigurationReady', status: 'False', message: /GitRepository .*missing-repo of Function .*no-repo not found/ })
    const rejected = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(fnObject('cobol', { source: 'x', runtime: 'cobol' }))).catch((err: Error) => err.message)
    t.match(rejected, /Unsupported value: "cobol"/, 'an unknown runtime is stopped by the CRD schema before it reaches the controller')
    t.equal(controller.process.child.exitCode, null, 'the controller is still running')
  })

  await t.test('a namespace registry Secret switches the registry: rebuild and redeploy', async (t) => {
    const uid = (await getJson<Function>(cluster, functionPath(ns, 'hello')))?.metadata.uid as string
    const external = registrySecret(ns, 'external.kless.test', 'serverless-registry-config')
    external.metadata.labels = { 'serverless.kyma-project.io/remote-registry': 'config' } as never
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(external))
    await waitFor(
      async () => (await deployments(uid))[0]?.spec?.template.spec?.containers[0].image?.startsWith('external.kless.test/') ?? false,
      30_000,
      () => 'the Deployment to run the image from the new registry',
    )
    await ready('hello')
    t.match((await jobs(uid)).map(destination), [/^external\.kless\.test\/.*-hello:/], 'built for the new registry')
    t.equal((await jobs(uid)).length, 1)
  })

  await t.test('deleting a Function garbage-collects its children', async (t) => {
    const uid = (await getJson<Function>(cluster, functionPath(ns, 'hello')))?.metadata.uid as string
    await cluster.kubectl(['delete', '-n', ns, 'function', 'hello'])
    await waitFor(
      async () => {
        const counts = await Promise.all([
          childrenOf(cluster, ns, 'configmaps', uid),
          jobs(uid),
          deployments(uid),
          childrenOf(cluster, ns, 'services', uid),
        ])
        return counts.every((list) => list.length === 0)
      },
      60_000,
      () => 'the children of hello to be garbage-collected',
    )
    t.pass('ConfigMap, Job, Deployment and Service are gone')
  })

  await t.test('no more builds at once than functionBuildMaxSimultaneousJobs', async (t) => {
    const throttled = await cluster.createNamespace('throttled')
    const throttledSystem = await cluster.createNamespace('throttled-system')
    t.teardown(async () => {
      await cluster.deleteNamespace(throttled)
      await cluster.deleteNamespace(throttledSystem)
    })
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registrySecret(throttledSystem, REGISTRY)))
    const limited = await startController(cluster, { APP_SYSTEM_NAMESPACE: throttledSystem, APP_WATCH_NAMESPACE: throttled, APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS: '2' })
    t.teardown(() => limited.stop())
    const names = Array.from({ length: 8 }, (_, i) => `throttled-${i}`)
    await cluster.kubectl(
      ['apply', '-n', throttled, '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map((name) => ({ ...fnObject(name, { source: `module.exports = { main: () => "${name}" }` }), metadata: { name } })) }),
    )
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const list = await getJson<{ items: V1Job[] }>(cluster, `/apis/batch/v1/namespaces/${throttled}/jobs`)
        const running = (list?.items ?? []).filter((job) => !job.status?.succeeded && !job.status?.failed).length
        most = Math.max(most, running)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    for (const name of names) await waitForFunction(cluster, throttled, name, isReady, 90_000, limited)
    sampling = false
    await sampler
    t.ok(most <= 2, `at most 2 builds ran at once (saw ${most})`)
    t.ok(most >= 1, 'builds were seen running')
  })

  await t.test('two replicas: one leads; when it dies, the other takes over', async (t) => {
    const ha = await cluster.createNamespace('ha')
    const haSystem = await cluster.createNamespace('ha-system')
    t.teardown(async () => {
      await cluster.deleteNamespace(ha)
      await cluster.deleteNamespace(haSystem)
    })
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(registrySecret(haSystem, REGISTRY)))
    // A lease long enough that a busy machine does not let it lapse between renewals.
    const env = { APP_SYSTEM_NAMESPACE: haSystem, APP_WATCH_NAMESPACE: ha, APP_LEADER_ELECTION_LEASE_SECONDS: '8' }
    const first = await startController(cluster, { ...env, POD_NAME: 'replica-a' })
    t.teardown(() => first.stop())
    await waitFor(async () => (await leaderGauge(first)) === 1, 10_000, () => 'replica-a to lead')
    const second = await startController(cluster, { ...env, POD_NAME: 'replica-b' })
    t.teardown(() => second.stop())
    await cluster.kubectl(['apply', '-n', ha, '-f', '-'], JSON.stringify({ ...fnObject('ha-one', { source: 'module.exports = { main: () => 1 }' }), metadata: { name: 'ha-one' } }))
    await waitForFunction(cluster, ha, 'ha-one', isReady, 60_000, first)
    t.equal(await leaderGauge(second), 0, `replica-b stands by\n${first.process.output().slice(-1500)}\n${second.process.output().slice(-1500)}`)
    first.kill9()
    await cluster.kubectl(['apply', '-n', ha, '-f', '-'], JSON.stringify({ ...fnObject('ha-two', { source: 'module.exports = { main: () => 2 }' }), metadata: { name: 'ha-two' } }))
    await waitForFunction(cluster, ha, 'ha-two', isReady, 60_000, second)
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
