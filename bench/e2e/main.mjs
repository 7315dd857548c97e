// End-to-end benchmark on a real node with the chart installed (testkit installPlatform): the time from
// `kubectl apply` of a Function to its first 200 through its Service, with a cold build cache and then a warm one
// (the same Function deleted and applied again), a source-only change until the new answer is served, and the first
// 200 from every pod after a scale from 1 to 3 replicas. Baseline, in the same run: a plain Deployment of the same
// runtime image with the handler in a ConfigMap (no build), from `kubectl apply` to its first 200. Prints numbers.
//   node bench/e2e/main.mjs        (root: the real node needs it)
import { createRequire } from 'node:module'

const testkit = createRequire(import.meta.url)('@kless/testkit')

const NAMESPACE = 'bench'
const RUNTIME = 'nodejs20'
const DEPS = JSON.stringify({ name: 'bench', version: '1.0.0', dependencies: { lodash: '^4.17.21' } })
const source = (answer) => `const _ = require('lodash')\nmodule.exports = { main: () => _.toUpper('${answer}') }\n`
const TARGETS = { warmFirst200: 20, sourceChange: 10 }

/** A new connection per call; an error (the Service not there yet) is status 0. */
const get = (url) => testkit.httpCall(url, { timeoutMs: 3000 }).catch(() => ({ status: 0, body: '' }))

const { cluster, timings } = await testkit.installPlatform((line) => console.error(`# ${line}`))
const kubectl = (...args) => cluster.kubectl(args)
const apply = (object) => cluster.kubectl(['apply', '-f', '-'], JSON.stringify(object))
const seconds = (since) => (Date.now() - since) / 1000
const clusterIp = async (name) => JSON.parse(await kubectl('get', 'service', '-n', NAMESPACE, name, '-o', 'json')).spec.clusterIP
/** Polls every 100 ms until GET answers 200 with `body` (any body when undefined); the Service may not exist yet. */
const until200 = async (name, port, body, timeoutMs = 600_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ip = await clusterIp(name).catch(() => undefined)
    if (ip) {
      const answer = await get(`http://${ip}:${port}/`)
      if (answer.status === 200 && (body === undefined || answer.body === body)) return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not answer ${body ?? '200'} within ${timeoutMs / 1000} s`)
}
const fn = (name, answer, replicas = 1) => ({
  apiVersion: 'serverless.kyma-project.io/v1alpha1',
  kind: 'Function',
  metadata: { name, namespace: NAMESPACE },
  spec: { runtime: RUNTIME, source: source(answer), deps: DEPS, minReplicas: replicas, maxReplicas: replicas },
})

/** The baseline: what Kubernetes alone takes to run the same runtime image with the handler mounted. */
async function plainDeployment() {
  const image = `${cluster.platformRegistry}/kless/runtime-${RUNTIME}:${testkit.platformVersion()}`
  const started = Date.now()
  await apply(testkit.handlerWorkload({ name: 'baseline', namespace: NAMESPACE, image, handler: "module.exports = { main: () => 'BASELINE' }\n" }))
  await until200('baseline', 80, 'BASELINE')
  return seconds(started)
}

try {
  await kubectl('create', 'namespace', NAMESPACE)
  const baseline = await plainDeployment()

  let started = Date.now()
  await apply(fn('hello', 'cold'))
  await until200('hello', 80, 'COLD')
  const cold = seconds(started)

  await kubectl('delete', 'function', '-n', NAMESPACE, 'hello', '--wait=true')
  await new Promise((resolve) => setTimeout(resolve, 3000))
  started = Date.now()
  await apply(fn('hello', 'cold'))
  await until200('hello', 80, 'COLD')
  const warm = seconds(started)

  started = Date.now()
  await apply(fn('hello', 'changed'))
  await until200('hello', 80, 'CHANGED')
  const sourceChange = seconds(started)

  await new Promise((resolve) => setTimeout(resolve, 5000))
  started = Date.now()
  await apply(fn('hello', 'changed', 3))
  const podIps = async () =>
    JSON.parse(
      await kubectl(
        'get',
        'pods',
        '-n',
        NAMESPACE,
        '-l',
        'serverless.kyma-project.io/function-name=hello,serverless.kyma-project.io/resource=deployment',
        '-o',
        'json',
      ),
    )
      .items.filter((pod) => pod.status.podIP && !pod.metadata.deletionTimestamp)
      .map((pod) => pod.status.podIP)
  for (;;) {
    const ips = await podIps()
    const answers = await Promise.all(ips.map((ip) => get(`http://${ip}:8080/`)))
    if (ips.length === 3 && answers.every((answer) => answer.status === 200)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const scale = seconds(started)

  const row = (what, value, target) =>
    console.log(
      `${what.padEnd(44)} ${value.toFixed(1).padStart(6)} s  ${(value / baseline).toFixed(1).padStart(5)}× baseline${target ? `  target ≤ ${target} s: ${value <= target ? 'met' : 'MISSED'}` : ''}`,
    )
  console.log(
    `# ${RUNTIME} Function with lodash; install: ${Object.entries(timings)
      .map(([step, value]) => `${step} ${value.toFixed(1)} s`)
      .join(', ')}`,
  )
  row('baseline: plain Deployment, apply → first 200', baseline)
  row('new Function, cold build cache', cold)
  row('new Function, warm build cache', warm, TARGETS.warmFirst200)
  row('source-only change → new answer served', sourceChange, TARGETS.sourceChange)
  row('scale 1 → 3: every pod answers 200', scale)
} finally {
  await cluster.stop()
}
