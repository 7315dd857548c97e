// The Function controller at scale: apply N Functions at once on the simulated cluster (kwok completes the build
// Jobs' pods and makes Deployment pods Ready) and time until every one reports Running=True, sampling the
// controller's peak RSS. Baseline, measured in the same run on the same cluster: the cluster alone running the
// same work without the controller (N build Jobs, then N Deployments and Services, applied directly).
//
//   node bench/controller/main.mjs [--functions 100,1000] [--max-builds 5] [--skip-baseline]
//
// Needs `npx tsc -b testkit orchestrator` first (npm run bench:controller does it). KLESS_CLUSTER_DIR reuses a
// running cluster (npm run cluster:up); otherwise one is started and stopped here.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/* global fetch */
const require = createRequire(import.meta.url)
const { Cluster, startCluster, freePort, waitFor } = require('@kless/testkit')
const { DEFAULT_RUNTIME } = require('@kless/runtime-matrix')
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CONTROLLER = join(ROOT, 'orchestrator', 'dist', 'controller-main.js')
// The V8 settings the controller is run with (orchestrator's npm start, the chart): a small young generation
// and a bounded old one keep the process near its live data instead of growing into idle heap.
const NODE_FLAGS = (process.env.KLESS_CONTROLLER_NODE_FLAGS ?? '--max-semi-space-size=2 --max-old-space-size=160').split(' ').filter(Boolean)
const USAGE = 'usage: main.mjs [--functions 100,1000] [--max-builds 5] [--skip-baseline]'

function parseArgs(argv) {
  const options = { sizes: [100, 1000], maxBuilds: 5, baseline: true }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--functions') options.sizes = (argv[++i] ?? '').split(',').map(Number)
    else if (argv[i] === '--max-builds') options.maxBuilds = Number(argv[++i])
    else if (argv[i] === '--skip-baseline') options.baseline = false
    else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`)
  }
  if (!options.sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--functions takes positive integers\n${USAGE}`)
  if (!Number.isInteger(options.maxBuilds) || options.maxBuilds < 1) throw new Error(`--max-builds takes a positive integer\n${USAGE}`)
  return options
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const seconds = (ms) => (ms / 1000).toFixed(1)

/** Applies objects in chunks through kubectl, as a user or a GitOps tool would. */
async function applyAll(cluster, namespace, items) {
  for (let i = 0; i < items.length; i += 200) {
    await cluster.kubectl(
      ['apply', '-n', namespace, '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 200) }),
    )
  }
}

async function count(cluster, path, predicate) {
  const response = await cluster.api('GET', path)
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`)
  return JSON.parse(response.body).items.filter(predicate).length
}

async function waitForCount(cluster, path, predicate, n, timeoutMs) {
  let seen = 0
  await waitFor(
    async () => (seen = await count(cluster, path, predicate)) >= n,
    timeoutMs,
    () => `${n} ready at ${path} (saw ${seen})`,
  )
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024
}

const fnItem = (i) => ({
  apiVersion: 'serverless.kyma-project.io/v1alpha1',
  kind: 'Function',
  metadata: { name: `bench-${i}` },
  spec: { runtime: DEFAULT_RUNTIME, source: `module.exports = { main: () => "bench ${i}" }`, minReplicas: 1, maxReplicas: 1 },
})

const running = (fn) => fn.status?.conditions?.some((c) => c.type === 'Running' && c.status === 'True')

async function measureController(cluster, n, maxBuilds) {
  const namespace = await cluster.createNamespace(`bench-${n}`)
  const port = await freePort()
  const child = spawn(process.execPath, [...NODE_FLAGS, CONTROLLER], {
    env: {
      ...process.env,
      KUBECONFIG: cluster.kubeconfigPath,
      APP_WATCH_NAMESPACE: namespace,
      APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS: String(maxBuilds),
      APP_METRICS_PORT: String(port),
      APP_METRICS_HOST: '127.0.0.1',
      POD_NAME: `bench-${n}`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      60_000,
      () => 'the controller to start',
    )
    const started = Date.now()
    await applyAll(
      cluster,
      namespace,
      Array.from({ length: n }, (_, i) => fnItem(i)),
    )
    await waitForCount(cluster, `/apis/serverless.kyma-project.io/v1alpha1/namespaces/${namespace}/functions`, running, n, 30 * 60_000)
    return { ms: Date.now() - started, peakRssMb: peakRssMb(child.pid) }
  } finally {
    child.kill('SIGTERM')
    await cluster.deleteNamespace(namespace)
  }
}

/** The cluster's own share: the same Jobs, then Deployments and Services, with no controller in between. */
async function measureBaseline(cluster, n, maxBuilds) {
  const namespace = await cluster.createNamespace(`baseline-${n}`)
  const labels = (i) => ({ app: `bench-${i}` })
  const job = (i) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `bench-${i}-build`, labels: labels(i) },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels: labels(i) }, spec: { restartPolicy: 'Never', containers: [{ name: 'executor', image: 'kaniko' }] } },
    },
  })
  const deployment = (i) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `bench-${i}`, labels: labels(i) },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels(i) },
      template: { metadata: { labels: labels(i) }, spec: { containers: [{ name: 'function', image: 'fn' }] } },
    },
  })
  const service = (i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `bench-${i}` },
    spec: { selector: labels(i), ports: [{ port: 80, targetPort: 8080 }] },
  })
  try {
    const started = Date.now()
    // The same build throttle the controller honours: waves of maxBuilds Jobs.
    for (let i = 0; i < n; i += maxBuilds) {
      const wave = Array.from({ length: Math.min(maxBuilds, n - i) }, (_, k) => job(i + k))
      await applyAll(cluster, namespace, wave)
      await waitForCount(cluster, `/apis/batch/v1/namespaces/${namespace}/jobs`, (j) => (j.status?.succeeded ?? 0) > 0, i + wave.length, 600_000)
    }
    await applyAll(cluster, namespace, Array.from({ length: n }, (_, i) => [deployment(i), service(i)]).flat())
    await waitForCount(cluster, `/apis/apps/v1/namespaces/${namespace}/deployments`, (d) => (d.status?.readyReplicas ?? 0) >= 1, n, 30 * 60_000)
    return { ms: Date.now() - started }
  } finally {
    await cluster.deleteNamespace(namespace)
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const existing = process.env.KLESS_CLUSTER_DIR
  const cluster = existing ? Cluster.attach(existing) : await startCluster()
  if (!cluster) throw new Error(`no running cluster in ${existing} (KLESS_CLUSTER_DIR)`)
  try {
    await cluster.kubectl(['create', 'namespace', 'kyma-system']).catch(() => {})
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: 'serverless-registry-config-default', namespace: 'kyma-system', labels: { 'serverless.kyma-project.io/config': 'credentials' } },
      stringData: { '.dockerconfigjson': '{"auths":{}}', registryAddress: 'registry.kless.test:5000', serverAddress: 'registry.kless.test:5000' },
    }
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(secret))
    console.log(`# Function controller, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}, at most ${options.maxBuilds} builds at once`)
    console.log('functions  all Running=True  per Function  peak RSS  cluster alone (baseline)  ratio')
    for (const n of options.sizes) {
      const result = await measureController(cluster, n, options.maxBuilds)
      const baseline = options.baseline ? await measureBaseline(cluster, n, options.maxBuilds) : undefined
      console.log(
        [
          String(n).padStart(9),
          `${seconds(result.ms)} s`.padStart(17),
          `${(result.ms / n).toFixed(0)} ms`.padStart(13),
          `${result.peakRssMb.toFixed(0)} MB`.padStart(9),
          (baseline ? `${seconds(baseline.ms)} s` : '-').padStart(25),
          (baseline ? `${(result.ms / baseline.ms).toFixed(2)}x` : '-').padStart(6),
        ].join(' '),
      )
      await sleep(2000)
    }
  } finally {
    if (!existing) await cluster.stop()
  }
}

main().catch((err) => {
  console.error(err.stack ?? err)
  process.exit(1)
})
