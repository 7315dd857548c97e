import { execFile, spawn } from 'child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { request } from 'https'
import { tmpdir } from 'os'
import { join } from 'path'
import { cacheDir } from '@kless/runtime-staging'
import { answersV2, holdsImage } from '../images/registry'
import { run } from '../images/run'
import { freePort, isAlive, waitFor } from '../process'
import { ClusterBinaries, clusterBinaries, nodeBinaries, WRAPPER_MODULE_DIR } from './binaries'
import { Buildah } from '../images/buildah'
import { builtImage } from '../images/build'
import { platformImages } from '../images/catalog'
import {
  claimMachine,
  cleanupScript,
  corednsManifests,
  importImage,
  importNodeImages,
  NODE_IP,
  trustRegistry,
  NODE_NAME,
  NodeComponent,
  prepareHost,
  RealNodeLayout,
  writeNodeConfigs,
} from './node'
import { CertificateAuthority, generateKeyPair } from './pki'

/** The repository's CRDs, installed into every cluster unless a test opts out. */
export const CRDS_DIR = join(__dirname, '..', '..', '..', 'charts', 'kless', 'crds')
const KWOK_STAGES = join(WRAPPER_MODULE_DIR, 'kwok-stages.yaml')
const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16'
const POD_CIDR = '10.128.0.0/12'
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node'
const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 10_000
/** While clients keep watches open, a terminating API server drains for a minute; a restart need not wait for that. */
const RESTART_GRACE_MS = 2_000

export interface ClusterOptions {
  /**
   * 'kwok' (default): simulated nodes, where pods only pretend to run. 'real': one real node on this machine
   * (containerd, kubelet, kube-proxy, CNI, CoreDNS) where pods run; it needs root, and one machine holds one.
   */
  node?: 'kwok' | 'real'
  /** How many simulated nodes kwok runs (default 1, or 0 beside a real node). */
  nodes?: number
  /** Apply charts/kless/crds and wait until they are established. */
  installCrds?: boolean
  /**
   * The cluster's processes are stopped when this process exits, even if nobody calls stop()
   * (a test killed by a timeout). Default: the calling process; 0 keeps them until stop().
   */
  ownerPid?: number
  /** Parent of the cluster's folder (certificates, etcd data, logs). Default: the system temp dir. */
  parentDir?: string
  log?: (line: string) => void
}

type ControlPlaneName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok'
type ComponentName = ControlPlaneName | NodeComponent['name']

interface Component {
  command: string
  args: string[]
  pid: number
}

/** Everything needed to reach and stop a running cluster, also from another process. */
interface ClusterState {
  dir: string
  server: string
  kubernetesVersion: string
  kubectl: string
  /** In start order. */
  components: Partial<Record<ComponentName, Component>>
  /** Set once a real node's daemons are configured. */
  node?: RealNodeLayout
  /** A real node's sysctls as they were when it took the machine; its cleanup restores them. */
  sysctlsBefore?: Record<string, string>
}

/** Dependencies first; every component retries until the ones it needs answer. */
const START_ORDER: ControlPlaneName[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']
/** The real node's own script that undoes what the node did to the machine; the reaper and stop() run it. */
const CLEANUP = 'cleanup.sh'

function stateFile(dir: string): string {
  return join(dir, 'cluster.json')
}

/** Starts a component detached, with its output in logs/<name>.log, so it can outlive a test file. */
function spawnComponent(dir: string, name: ComponentName, command: string, args: string[]): Component {
  const logFd = openSync(join(dir, 'logs', `${name}.log`), 'a')
  const child = spawn(command, args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: dir })
  closeSync(logFd)
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`)
  child.unref()
  return { command, args, pid: child.pid }
}

/** Stops the cluster's processes when `ownerPid` exits, so a killed test run leaves nothing behind. */
function startReaper(dir: string, ownerPid: number): void {
  const script = [
    'owner=$1; dir=$2',
    'while kill -0 "$owner" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done',
    '[ -d "$dir" ] || exit 0',
    'for pid in $(cat "$dir/pids"); do kill "$pid" 2>/dev/null; done',
    'sleep 5',
    'for pid in $(cat "$dir/pids"); do kill -9 "$pid" 2>/dev/null; done',
    `[ -f "$dir/${CLEANUP}" ] && sh "$dir/${CLEANUP}"`,
    'rm -rf "$dir"',
    // A per-run parent folder (see useSharedCluster) goes too once empty; the system temp dir never is.
    'rmdir "$(dirname "$dir")" 2>/dev/null',
  ].join('\n')
  spawn('sh', ['-c', script, 'kless-cluster-reaper', String(ownerPid), dir], { detached: true, stdio: 'ignore' }).unref()
}

export class Cluster {
  readonly dir: string
  readonly server: string
  readonly kubeconfigPath: string
  readonly kubernetesVersion: string
  /** The kubectl built with the cluster, at the same version. */
  readonly kubectlPath: string
  private readonly tls: { ca: string; cert: string; key: string }

  private constructor(private state: ClusterState) {
    this.dir = state.dir
    this.server = state.server
    this.kubeconfigPath = join(state.dir, 'kubeconfig')
    this.kubernetesVersion = state.kubernetesVersion
    this.kubectlPath = state.kubectl
    const pki = join(state.dir, 'pki')
    this.tls = {
      ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(pki, 'admin.crt'), 'utf8'),
      key: readFileSync(join(pki, 'admin.key'), 'utf8'),
    }
  }

  /** Attaches to a cluster another process started in `dir`; undefined when none runs there. */
  static attach(dir: string): Cluster | undefined {
    if (!existsSync(stateFile(dir))) return undefined
    const state = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState
    if (!Object.values(state.components).every((component) => isAlive(component!.pid))) return undefined
    return new Cluster(state)
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const realNode = options.node === 'real'
    const { nodes = realNode ? 0 : 1, installCrds = true, ownerPid = process.pid, log = () => undefined } = options
    if (!Number.isInteger(nodes) || nodes < (realNode ? 0 : 1))
      throw new Error(`nodes must be a ${realNode ? 'non-negative' : 'positive'} integer, got ${nodes}`)
    const binaries = await clusterBinaries(log)
    const parentDir = options.parentDir ?? tmpdir()
    mkdirSync(parentDir, { recursive: true })
    const dir = mkdtempSync(join(parentDir, 'kless-cluster-'))
    mkdirSync(join(dir, 'logs'))
    if (ownerPid) startReaper(dir, ownerPid)
    let cluster: Cluster | undefined
    let sysctlsBefore: Record<string, string> | undefined
    try {
      if (realNode) {
        await claimMachine(dir, log)
        writeFileSync(join(dir, CLEANUP), cleanupScript(dir))
        sysctlsBefore = await prepareHost(dir)
      }
      cluster = await launch(dir, binaries, realNode, sysctlsBefore)
      await cluster.waitUntilServing()
      if (realNode) await cluster.startRealNode(log)
      await cluster.addNodes(nodes)
      if (installCrds) await cluster.installCrds()
      const started = cluster
      await cluster.waitUntil(() => started.isReady(), 'the cluster to become ready (a Ready node, the default service account)')
    } catch (err) {
      const logs = cluster?.logTails() ?? ''
      if (cluster) await cluster.stop()
      else await removeClusterDir(dir)
      throw new Error(`${(err as Error).message}\n${logs}`)
    }
    return cluster
  }

  /** The admin kubeconfig, with certificates inlined. */
  get kubeconfig(): string {
    return readFileSync(this.kubeconfigPath, 'utf8')
  }

  /** The CA that signed the API server's certificate and the admin client certificate. */
  get caPem(): string {
    return this.tls.ca
  }

  /** Runs the cluster's kubectl against it; rejects with kubectl's stderr on failure. */
  async kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.kubectlPath,
        args,
        { env: { ...process.env, KUBECONFIG: this.kubeconfigPath }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || err.message}`))
          else resolve(stdout)
        },
      )
      child.stdin?.end(input ?? '')
    })
  }

  /** A raw request to the API server as cluster admin; resolves with the status code and body. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          ...this.tls,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
          timeout: 30_000,
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)))
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Creates a namespace with a unique name starting with `prefix`, for one test's objects. */
  async createNamespace(prefix = 'test'): Promise<string> {
    const base = prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40)
    const created = await this.api('POST', '/api/v1/namespaces', { metadata: { generateName: `${base}-` } })
    if (created.status !== 201) throw new Error(`creating a namespace failed (${created.status}): ${created.body}`)
    return (JSON.parse(created.body) as { metadata: { name: string } }).metadata.name
  }

  /** Deletes a namespace and everything in it, without waiting for the deletion to finish. */
  async deleteNamespace(name: string): Promise<void> {
    const deleted = await this.api('DELETE', `/api/v1/namespaces/${name}`)
    if (deleted.status !== 200 && deleted.status !== 202 && deleted.status !== 404) {
      throw new Error(`deleting namespace ${name} failed (${deleted.status}): ${deleted.body}`)
    }
  }

  /** Stops the API server (SIGTERM, SIGKILL after 2 s) and starts it again on the same port; etcd keeps the data. */
  async restartApiServer(): Promise<void> {
    const apiserver = this.state.components['kube-apiserver']!
    await stopProcesses([apiserver.pid], RESTART_GRACE_MS)
    this.state.components['kube-apiserver'] = spawnComponent(this.dir, 'kube-apiserver', apiserver.command, apiserver.args)
    this.saveState()
    await this.waitUntilServing()
  }

  /** Stops every process of the cluster, undoes what a real node did to the machine and removes the folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (!existsSync(this.dir)) return
    const { etcd, ...rest } = this.state.components
    await stopProcesses(Object.values(rest).map((component) => component!.pid))
    await stopProcesses([etcd!.pid])
    await removeClusterDir(this.dir)
  }

  /** The last lines each component logged, for failure messages. */
  logTails(lines = 15): string {
    const logs = join(this.dir, 'logs')
    if (!existsSync(logs)) return ''
    return readdirSync(logs)
      .map((file) => {
        const tail = readFileSync(join(logs, file), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
        return `--- ${file}\n${tail}`
      })
      .join('\n')
  }

  /** /readyz answers ok, every node is Ready and the default service account exists (pods can be created). */
  async isReady(): Promise<boolean> {
    const readyz = await this.api('GET', '/readyz')
    if (readyz.status !== 200) return false
    const nodes = JSON.parse((await this.api('GET', '/api/v1/nodes')).body) as NodeList
    const nodeReady = (node: NodeList['items'][number]) =>
      node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false
    if (nodes.items.length === 0 || !nodes.items.every(nodeReady)) return false
    return (await this.api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200
  }

  private async waitUntilServing(): Promise<void> {
    await this.waitUntil(async () => (await this.api('GET', '/readyz')).status === 200, `kube-apiserver at ${this.server} to answer /readyz`)
  }

  /** Waits for `probe`, failing at once with the component's log when a component exits (a port taken meanwhile, a bad flag). */
  private async waitUntil(probe: () => Promise<boolean>, what: string): Promise<void> {
    let exited: ComponentName | undefined
    await waitFor(
      async () => {
        exited = (Object.keys(this.state.components) as ComponentName[]).find((name) => !isAlive(this.state.components[name]!.pid))
        return exited !== undefined || (await probe())
      },
      READY_TIMEOUT_MS,
      () => `${what}\n${this.logTails()}`,
    )
    if (exited) throw new Error(`${exited} exited while waiting for ${what}\n${this.logTails()}`)
  }

  /** Whether pods really run here (a real node) or only pretend to (kwok). */
  get realNode(): boolean {
    return this.state.node !== undefined
  }

  /** Makes a buildah image available to the real node's pods under its docker.io name (pods then need no registry). */
  async loadImage(ref: string, buildah = new Buildah()): Promise<string> {
    if (!this.state.node) throw new Error('loadImage needs a cluster with a real node (startCluster({ node: "real" }))')
    return importImage(this.state.node, buildah, ref)
  }

  /** The sysctls as the real node found them (what stopping it must restore); empty without a real node. */
  get sysctlsBefore(): Record<string, string> {
    return this.state.sysctlsBefore ?? {}
  }

  /** Makes the real node's containerd trust a registry (plain HTTP, or HTTPS with a certificate signed by `caPem`). */
  trustRegistry(host: string, caPem?: string): void {
    if (!this.state.node) throw new Error('only a cluster with a real node pulls images')
    trustRegistry(this.state.node, host, caPem)
  }

  /** The real node's platform registry (`host:port`, plain HTTP), which pods and build Jobs pull from. */
  get platformRegistry(): string {
    if (!this.state.node) throw new Error('only a cluster with a real node has a platform registry')
    return this.state.node.platformRegistry
  }

  /**
   * Pushes every platform image (as the bootstrap built it) to the platform registry. The registry's storage outlives
   * the cluster, so an image it already holds from the same build is not pushed again (buildah would compress every
   * layer just to find that out).
   */
  async pushPlatformImages(buildah = new Buildah()): Promise<void> {
    for (const spec of platformImages()) {
      const image = await builtImage(buildah, spec.ref)
      const marker = join(cacheDir('platform-registry-pushed'), spec.ref.replace(/[/:]/g, '_'))
      if (existsSync(marker) && readFileSync(marker, 'utf8') === image.id && (await holdsImage(`http://${this.platformRegistry}`, spec.ref))) continue
      await buildah.push(image.keyed, `docker://${this.platformRegistry}/${spec.ref}`)
      writeFileSync(marker, image.id)
    }
  }

  /** containerd first (the node's images are imported into it), then kubelet and kube-proxy, then CoreDNS as a pod. */
  private async startRealNode(log: (line: string) => void): Promise<void> {
    const binaries = await nodeBinaries(log)
    const [platformRegistry, kubelet, kubeletHealthz, proxyHealthz, proxyMetrics] = await Promise.all(Array.from({ length: 5 }, () => freePort()))
    const { node, components } = writeNodeConfigs(this.dir, this.kubeconfigPath, binaries, {
      platformRegistry,
      kubelet,
      kubeletHealthz,
      proxyHealthz,
      proxyMetrics,
    })
    this.state.node = node
    for (const component of components) {
      this.state.components[component.name] = spawnComponent(this.dir, component.name, component.command, component.args)
      this.saveState()
      if (component.name === 'platform-registry') {
        await this.waitUntil(() => answersV2(`http://${node.platformRegistry}`), `the platform registry to answer on ${node.platformRegistry}`)
      }
      if (component.name === 'containerd') {
        await this.waitUntil(
          () => run('ctr', ['--address', node.containerdSocket, 'version']).then(() => true),
          `containerd to answer on ${node.containerdSocket}`,
        )
        await importNodeImages(node, binaries)
      }
    }
    await this.waitUntil(async () => (await this.api('GET', `/api/v1/nodes/${NODE_NAME}`)).status === 200, `kubelet to register node ${NODE_NAME}`)
    await this.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: corednsManifests() }))
    await this.waitUntil(async () => {
      const deployment = await this.api('GET', '/apis/apps/v1/namespaces/kube-system/deployments/coredns')
      return deployment.status === 200 && (JSON.parse(deployment.body) as { status?: { readyReplicas?: number } }).status?.readyReplicas === 1
    }, 'CoreDNS to be ready on the real node')
  }

  private async addNodes(count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const name = `kwok-node-${index}`
      const node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
        },
      }
      const created = await this.api('POST', '/api/v1/nodes', node)
      if (created.status !== 201) throw new Error(`creating node ${name} failed (${created.status}): ${created.body}`)
    }
  }

  private async installCrds(): Promise<void> {
    await this.kubectl(['apply', '--server-side', '-f', CRDS_DIR])
    await this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', CRDS_DIR])
  }

  private saveState(): void {
    writeFileSync(
      join(this.dir, 'pids'),
      Object.values(this.state.components)
        .map((component) => component!.pid)
        .join('\n') + '\n',
    )
    writeFileSync(stateFile(this.dir), JSON.stringify(this.state, null, 2))
  }

  /** @internal Used by launch() once every component runs. */
  static fromState(state: ClusterState): Cluster {
    const cluster = new Cluster(state)
    cluster.saveState()
    return cluster
  }
}

interface NodeList {
  items: { status?: { conditions?: { type: string; status: string }[] } }[]
}

/** Runs a real node's cleanup script, if it has one, and removes the folder. */
async function removeClusterDir(dir: string): Promise<void> {
  if (existsSync(join(dir, CLEANUP))) await run('sh', [join(dir, CLEANUP)])
  rmSync(dir, { recursive: true, force: true })
}

/** SIGTERM, then SIGKILL for whatever still runs after the grace period. */
async function stopProcesses(pids: number[], graceMs = STOP_GRACE_MS): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL')
}

function writeKubeconfig(path: string, server: string, ca: string, cert: string, key: string): void {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64')
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kless', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: 'kless', context: { cluster: 'kless', user: 'admin', namespace: 'default' } }],
    'current-context': 'kless',
  }
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 })
}

/** Generates certificates and a kubeconfig, then starts the components in order. */
async function launch(dir: string, binaries: ClusterBinaries, realNode: boolean, sysctlsBefore?: Record<string, string>): Promise<Cluster> {
  const pki = join(dir, 'pki')
  mkdirSync(pki)
  const file = (name: string, content: string) => {
    writeFileSync(join(pki, name), content, { mode: 0o600 })
    return join(pki, name)
  }
  const ca = CertificateAuthority.create('kless-test-ca')
  const serving = ca.issue({
    commonName: 'kube-apiserver',
    hosts: [
      '127.0.0.1',
      '10.96.0.1',
      NODE_IP,
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  })
  const admin = ca.issue({ commonName: 'kless-admin', organizations: ['system:masters'], client: true })
  const serviceAccountKeys = generateKeyPair()
  const caFile = file('ca.crt', ca.certPem)
  file('admin.crt', admin.certPem)
  file('admin.key', admin.keyPem)
  const saKey = file('sa.key', serviceAccountKeys.keyPem)
  const saPub = file('sa.pub', serviceAccountKeys.publicKeyPem)

  const [etcdPort, etcdPeerPort, apiPort, controllerManagerPort, schedulerPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, () => freePort()))
  const server = `https://127.0.0.1:${apiPort}`
  const kubeconfig = join(dir, 'kubeconfig')
  writeKubeconfig(kubeconfig, server, ca.certPem, admin.certPem, admin.keyPem)
  const etcdUrl = `http://127.0.0.1:${etcdPort}`
  const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`
  // Control-plane clients get generous rate limits: benchmarks create thousands of objects.
  const clientFlags = [`--kubeconfig=${kubeconfig}`, '--kube-api-qps=500', '--kube-api-burst=1000', '--leader-elect=false']
  const delegatedAuth = [`--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`]

  const args: Record<ControlPlaneName, string[]> = {
    etcd: [
      '--name=kless',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=kless=${etcdPeerUrl}`,
      // Test data need not survive a power cut; skipping fsync keeps a shared 2-core machine responsive.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    'kube-apiserver': [
      `--etcd-servers=${etcdUrl}`,
      // Pods reach a real node's API server at the node's address, through the kubernetes Service.
      ...(realNode ? ['--bind-address=0.0.0.0', `--advertise-address=${NODE_IP}`] : ['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1']),
      // The node's name resolves nowhere; its address does (logs, exec and port-forward go through the kubelet).
      '--kubelet-preferred-address-types=InternalIP',
      `--secure-port=${apiPort}`,
      `--cert-dir=${pki}`,
      `--tls-cert-file=${file('apiserver.crt', serving.certPem)}`,
      `--tls-private-key-file=${file('apiserver.key', serving.keyPem)}`,
      `--client-ca-file=${caFile}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--enable-priority-and-fairness=false',
      // The built-in "kubernetes" Service cannot point at a loopback address; only pods on a real node need it.
      ...(realNode ? [] : ['--endpoint-reconciler-type=none']),
      '--profiling=false',
      '--v=0',
    ],
    'kube-controller-manager': [
      ...clientFlags,
      ...delegatedAuth,
      '--bind-address=127.0.0.1',
      `--secure-port=${controllerManagerPort}`,
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caFile}`,
      '--use-service-account-credentials=false',
      `--cluster-cidr=${POD_CIDR}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
      '--concurrent-job-syncs=10',
      '--concurrent-gc-syncs=20',
      '--profiling=false',
    ],
    'kube-scheduler': [...clientFlags, ...delegatedAuth, '--bind-address=127.0.0.1', `--secure-port=${schedulerPort}`, '--profiling=false'],
    kwok: [
      `--kubeconfig=${kubeconfig}`,
      `--config=${KWOK_STAGES}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      `--server-address=127.0.0.1:${kwokPort}`,
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.127.0.1',
      '--node-lease-duration-seconds=40',
    ],
  }
  const commands: Record<ControlPlaneName, string> = {
    etcd: binaries.etcd,
    'kube-apiserver': binaries.kubeApiserver,
    'kube-controller-manager': binaries.kubeControllerManager,
    'kube-scheduler': binaries.kubeScheduler,
    kwok: binaries.kwok,
  }
  const components: ClusterState['components'] = {}
  const state: ClusterState = { dir, server, kubernetesVersion: binaries.kubernetesVersion, kubectl: binaries.kubectl, components, sysctlsBefore }
  // The reaper reads the pid list, so it is written after every start.
  for (const name of START_ORDER) {
    components[name] = spawnComponent(dir, name, commands[name], args[name])
    writeFileSync(
      join(dir, 'pids'),
      Object.values(components)
        .map((component) => component.pid)
        .join('\n') + '\n',
    )
  }
  return Cluster.fromState(state)
}

/** Starts a private cluster for one test file. Stop it with `cluster.stop()` (also stopped when the process exits). */
export function startCluster(options?: ClusterOptions): Promise<Cluster> {
  return Cluster.start(options)
}
