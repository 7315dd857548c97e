import { spawn } from 'child_process'
import { request } from 'https'
import t from 'tap'
import { Cluster, handlerWorkload, realNodeLeftovers, serviceUrl, startCluster, withoutNewRealNode } from '../src/cluster'
import { httpCall } from '../src/http'
import { waitFor } from '../src/process'

/*
 * The test cluster's real node: containerd, runc, CNI, kubelet, kube-proxy and CoreDNS on this machine, so pods
 * run for real. The runtime image comes from the bootstrap's cache; nothing here pulls from outside.
 */

const RUNTIME_IMAGE = 'kless/runtime-nodejs22:0.1.0'
const HANDLER = "module.exports = { main: (event, context) => 'Hello from ' + process.env.HOSTNAME + ' as ' + process.getuid() }\n"

/** What the node left behind once `ms` have passed or nothing is left (the reaper notices a stop within a second). */
async function leftoversWithin(dir: string, sysctlsBefore: Record<string, string>, ms: number): Promise<string[]> {
  await waitFor(
    async () => (await realNodeLeftovers(dir, sysctlsBefore)).length === 0,
    ms,
    () => `${dir} to be cleaned up`,
  ).catch(() => undefined)
  return realNodeLeftovers(dir, sysctlsBefore)
}

async function waitForReady(cluster: Cluster, namespace: string, name: string): Promise<void> {
  await waitFor(
    async () => {
      const deployment = JSON.parse(await cluster.kubectl(['get', '-n', namespace, 'deployment', name, '-o', 'json']))
      return deployment.status?.readyReplicas === 1
    },
    120_000,
    () => `${name} to be ready\n${cluster.logTails(10)}`,
  )
}

t.test('a real node runs pods', async (t) => {
  const startedAt = Date.now()
  const cluster = await startCluster({ node: 'real', log: (line) => t.comment(line) })
  t.comment(`cluster with a real node started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  const kubectl = (...args: string[]) => cluster.kubectl(args)
  let stopped = false
  t.teardown(() => (stopped ? undefined : cluster.stop()))

  t.test('the node registers Ready and CoreDNS runs on it as a pod', async (t) => {
    t.match(await kubectl('get', 'nodes', '--no-headers'), /^kless-node\s+Ready/)
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'json'))
    t.equal(pods.items[0].status.phase, 'Running')
    t.match(pods.items[0].status.podIP, /^10\.244\.0\./, 'the pod has an address on the node bridge')
  })

  t.test('the kubernetes Service reaches the API server through kube-proxy', async (t) => {
    const endpoints = JSON.parse(await kubectl('get', 'endpoints', 'kubernetes', '-o', 'json'))
    t.equal(endpoints.subsets[0].addresses[0].ip, '10.244.0.1', 'the endpoint is the node address, not loopback')
    const status = await new Promise<number>((resolve, reject) => {
      request('https://10.96.0.1/readyz', { ca: cluster.caPem, servername: 'kubernetes.default.svc', timeout: 5000 }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
        .on('error', reject)
        .end()
    })
    t.ok([200, 401, 403].includes(status), `the ClusterIP answers over TLS with the API server's certificate (${status})`)
  })

  t.test('a restricted pod of a runtime image answers by pod IP, ClusterIP and cluster DNS name', async (t) => {
    const namespace = await cluster.createNamespace('real-node')
    t.teardown(() => cluster.deleteNamespace(namespace))
    const image = await cluster.loadImage(RUNTIME_IMAGE)
    await cluster.kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(handlerWorkload({ name: 'hello', image, handler: HANDLER })))
    await waitForReady(cluster, namespace, 'hello')
    const pod = JSON.parse(await kubectl('get', 'pods', '-n', namespace, '-l', 'app=hello', '-o', 'json')).items[0]
    const byPod = await httpCall(`http://${pod.status.podIP}:8080/`, { timeoutMs: 3000 })
    t.same(byPod, { status: 200, body: `Hello from ${pod.metadata.name} as 1000` }, 'the handler runs as uid 1000')
    t.same(await httpCall(await serviceUrl(cluster, namespace, 'hello'), { timeoutMs: 3000 }), byPod, 'the ClusterIP answers from the host')

    const inPod = (script: string) => kubectl('exec', '-n', namespace, pod.metadata.name, '--', 'node', '-e', script)
    const byName = await inPod(
      `require('http').get('http://hello.${namespace}.svc.cluster.local/', (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => console.log(r.statusCode, b)) }).on('error', (e) => { console.log(e.message); process.exit(1) })`,
    )
    t.equal(byName.trim(), `200 ${byPod.body}`, 'a pod reaches the Service by its cluster DNS name')
    const status = await inPod("console.log(require('fs').readFileSync('/proc/self/status', 'utf8').match(/CapEff:\\s*(\\w+)/)[1])")
    t.equal(status.trim(), '0000000000000000', 'no capabilities')
    await t.rejects(inPod("require('fs').writeFileSync('/kubeless_rt/x', 'x')"), /EROFS|read-only/, 'the root filesystem is read-only')
  })

  t.test('stopping the cluster leaves nothing behind', async (t) => {
    stopped = true
    // Another test file waiting for the machine's real node would start its own at once and look like leftovers.
    const leftovers = await withoutNewRealNode(async () => {
      const stopping = Date.now()
      await cluster.stop()
      t.comment(`stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`)
      return leftoversWithin(cluster.dir, cluster.sysctlsBefore, 5_000)
    })
    t.same(leftovers, [])
  })
})

t.test('when the process that owns a real node dies, its reaper leaves nothing behind', async (t) => {
  // The owner dies by SIGKILL, with no chance to clean up: the reaper must, as after a killed test run.
  const owner = spawn('sleep', ['600'], { stdio: 'ignore' })
  const cluster = await startCluster({ node: 'real', installCrds: false, ownerPid: owner.pid })
  t.match(await cluster.kubectl(['get', 'nodes', '--no-headers']), /^kless-node\s+Ready/)
  const leftovers = await withoutNewRealNode(async () => {
    owner.kill('SIGKILL')
    return leftoversWithin(cluster.dir, cluster.sysctlsBefore, 60_000)
  })
  t.same(leftovers, [])
})
