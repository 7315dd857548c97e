/**
 * A real node for the test cluster: Debian's containerd (with its CRI plugin), runc and CNI plugins, with kubelet and
 * kube-proxy built from the pinned Kubernetes and CoreDNS from its module. Pods really run: images are pulled, the
 * security context is enforced, Services answer through kube-proxy and cluster names resolve.
 * The node's addresses, bridge and iptables chains are machine-wide, so one machine holds one real node at a time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs'
import { join } from 'path'
import { cacheDir, withLock } from '@kless/runtime-staging'
import { Buildah } from '../images/buildah'
import { importInto } from '../images/containerd'
import { registryConfig } from '../images/registry'
import { run } from '../images/run'
import { NodeBinaries, WRAPPER_MODULE_DIR } from './binaries'
import { oneReplicaDeployment } from './workload'

export const NODE_NAME = 'kless-node'
/** The node's address: the gateway of its pod bridge, which the node creates, since a node IP cannot be loopback. */
export const NODE_IP = '10.244.0.1'
const POD_SUBNET = '10.244.0.0/24'
export const CLUSTER_DNS_IP = '10.96.0.10'
const CLUSTER_DOMAIN = 'cluster.local'
const BRIDGE = 'kless0'
/** Parent of the node's pod cgroups in every hierarchy, so cleanup finds exactly the node's processes. */
const CGROUP_ROOT = 'kless-node'
const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10'
const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.12.1'
const CONTAINERD_NAMESPACE = 'k8s.io'
const CLAIM = '/run/kless-real-node'
const CLAIM_WAIT_MS = 20 * 60_000
const CLEANUP_SCRIPT = join(WRAPPER_MODULE_DIR, 'real-node-cleanup.sh')
const RUNC_WRAPPER = join(WRAPPER_MODULE_DIR, 'runc-wrapper.sh')
/** Saved before the node changes them and restored by the cleanup script. */
const SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.ipv4.conf.all.route_localnet': '1',
}

export interface NodePorts {
  platformRegistry: number
  kubelet: number
  kubeletHealthz: number
  proxyHealthz: number
  proxyMetrics: number
}

export interface RealNodeLayout {
  dir: string
  containerdSocket: string
  kubeconfig: string
  /**
   * `host:port` of the registry holding the platform's images (plain HTTP, on the node address): pods and build Jobs
   * pull from it, as from an operator's mirror. Its storage is in the cache, so pushes after the first are quick.
   */
  platformRegistry: string
}

/** Where the chart's internal registry is pulled from by the node: its NodePort on localhost (values.yaml). */
export const INTERNAL_REGISTRY_PULL_ADDRESS = 'localhost:32137'

/** The node's own folder inside the cluster's: its configs, containerd's state, kubelet's root. */
function nodeDir(clusterDir: string): string {
  return join(clusterDir, 'node')
}

function layout(clusterDir: string, kubeconfig: string, ports: NodePorts): RealNodeLayout {
  const dir = nodeDir(clusterDir)
  return { dir, containerdSocket: join(dir, 'containerd.sock'), kubeconfig, platformRegistry: `${NODE_IP}:${ports.platformRegistry}` }
}

/** The cluster's cleanup script: undoes what the node did to the machine, then gives the machine's node back. */
export function cleanupScript(clusterDir: string): string {
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`
  return [
    [CLEANUP_SCRIPT, nodeDir(clusterDir), BRIDGE, CGROUP_ROOT].map(quote).join(' '),
    `[ "$(cat ${CLAIM} 2>/dev/null)" = ${quote(clusterDir)} ] && rm -f ${CLAIM}`,
    'exit 0',
    '',
  ].join('\n')
}

/**
 * Takes the machine's one real node for `clusterDir`, waiting while another cluster of this run holds it (test files
 * that use a real node take turns). A claim whose cluster folder is gone is stale (a killed run whose reaper did not
 * finish): its leftovers are cleaned first.
 */
export async function claimMachine(clusterDir: string, log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('a real node needs root: it creates a bridge, iptables rules, network namespaces and cgroups')
  const deadline = Date.now() + CLAIM_WAIT_MS
  let waiting = false
  for (;;) {
    // The cluster holding the node, if it still runs; otherwise the machine is claimed for `clusterDir`.
    const holder = await withLock(`${CLAIM}.lock`, async () => {
      const previous = existsSync(CLAIM) ? readFileSync(CLAIM, 'utf8').trim() : ''
      if (previous && existsSync(previous)) return previous
      if (previous) await run('sh', ['-c', cleanupScript(previous)])
      writeFileSync(CLAIM, `${clusterDir}\n`)
      return undefined
    })
    if (!holder) return
    if (Date.now() > deadline) {
      throw new Error(
        `this machine's real node still belongs to the cluster in ${holder} after ${CLAIM_WAIT_MS / 60_000} min; one machine holds one real node (its bridge, addresses and iptables chains are machine-wide)`,
      )
    }
    if (!waiting) log(`waiting for the cluster in ${holder} to give this machine's real node back`)
    waiting = true
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/**
 * Runs `work` while no other cluster can take this machine's real node, so what a stopped node left behind can be
 * checked before the next one (another test file waiting for the machine) starts.
 */
export function withoutNewRealNode<T>(work: () => Promise<T>): Promise<T> {
  return withLock(`${CLAIM}.lock`, work)
}

/**
 * Sysctls, the pod bridge with the node's address, and the cgroup parent; undone by the cleanup script. Returns the
 * sysctls as they were, which the cleanup restores.
 */
export async function prepareHost(clusterDir: string): Promise<Record<string, string>> {
  const dir = nodeDir(clusterDir)
  mkdirSync(dir, { recursive: true })
  const before = await nodeSysctls()
  for (const [key, value] of Object.entries(SYSCTLS)) await run('sysctl', ['-q', '-w', `${key}=${value}`])
  writeFileSync(
    join(dir, 'sysctl.saved'),
    Object.entries(before)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n',
  )
  await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge'])
  await run('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE])
  await run('ip', ['link', 'set', BRIDGE, 'up'])
  for (const hierarchy of cgroupHierarchies()) mkdirSync(join(hierarchy, CGROUP_ROOT), { recursive: true })
  return before
}

function cgroupHierarchies(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2] === 'cgroup')
    .map((fields) => fields[1])
}

/** containerd's config: CRI on, the runc wrapper, CNI from Debian's plugins, registries from hosts.toml files. */
export function containerdConfig(node: RealNodeLayout): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"'
  return [
    'version = 2',
    `root = "${node.dir}/containerd/root"`,
    `state = "${node.dir}/containerd/state"`,
    '[grpc]',
    `  address = "${node.containerdSocket}"`,
    '[ttrpc]',
    `  address = "${node.dir}/containerd-ttrpc.sock"`,
    `[${cri}]`,
    `  sandbox_image = "${SANDBOX_IMAGE}"`,
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    `  BinaryName = "${RUNC_WRAPPER}"`,
    `[${cri}.cni]`,
    '  bin_dir = "/usr/lib/cni"',
    `  conf_dir = "${node.dir}/cni"`,
    `[${cri}.registry]`,
    `  config_path = "${node.dir}/registries"`,
    '',
  ].join('\n')
}

/** One bridge network with NAT to the outside, addresses from host-local in the node's folder. */
export function cniConfig(node: RealNodeLayout): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'kless',
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_SUBNET, gateway: NODE_IP }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(node.dir, 'cni-ipam') },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  })
}

/**
 * Lets containerd pull from a registry: over plain HTTP (an insecure registry), or over HTTPS with a certificate
 * signed by `caPem`, as a node trusts a private registry. containerd reads these files at every pull.
 */
export function trustRegistry(node: RealNodeLayout, host: string, caPem?: string): void {
  const dir = join(node.dir, 'registries', host)
  mkdirSync(dir, { recursive: true })
  const scheme = caPem ? 'https' : 'http'
  if (caPem) writeFileSync(join(dir, 'ca.crt'), caPem)
  const lines = [
    `server = "${scheme}://${host}"`,
    `[host."${scheme}://${host}"]`,
    '  capabilities = ["pull", "resolve"]',
    ...(caPem ? [`  ca = "${join(dir, 'ca.crt')}"`] : []),
    '',
  ]
  writeFileSync(join(dir, 'hosts.toml'), lines.join('\n'))
}

export function kubeletConfig(node: RealNodeLayout, ports: NodePorts): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port: ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.kubeletHealthz,
    containerRuntimeEndpoint: `unix://${node.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${CGROUP_ROOT}`,
    failSwapOn: false,
    enforceNodeAllocatable: [],
    localStorageCapacityIsolation: false,
    // A test-only node: the API server (and nothing else) reaches it on the node's private bridge address.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [CLUSTER_DNS_IP],
    clusterDomain: CLUSTER_DOMAIN,
    podLogsDir: join(node.dir, 'pod-logs'),
    serializeImagePulls: false,
    // Builds fill the disk with layers; a shared test machine's disk level must not evict the platform's pods.
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Pods start and stop many times a test run; the defaults (10 s, 20 s) only add waiting.
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    fileCheckFrequency: '5s',
    kubeAPIQPS: 50,
    kubeAPIBurst: 100,
  })
}

export function kubeProxyConfig(node: RealNodeLayout, ports: NodePorts): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: node.kubeconfig },
    hostnameOverride: NODE_NAME,
    mode: 'iptables',
    clusterCIDR: POD_SUBNET,
    bindAddress: NODE_IP,
    healthzBindAddress: `127.0.0.1:${ports.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${ports.proxyMetrics}`,
    // The sandbox's conntrack table size is not the node's to change.
    conntrack: { maxPerCore: 0, min: 0 },
    iptables: { syncPeriod: '5s', minSyncPeriod: '0s' },
  })
}

export interface NodeComponent {
  name: 'platform-registry' | 'containerd' | 'kubelet' | 'kube-proxy'
  command: string
  args: string[]
}

/** Writes every config file and returns the node's daemons, in start order. */
export function writeNodeConfigs(
  clusterDir: string,
  kubeconfig: string,
  binaries: NodeBinaries,
  ports: NodePorts,
): { node: RealNodeLayout; components: NodeComponent[] } {
  const node = layout(clusterDir, kubeconfig, ports)
  for (const sub of ['cni', 'registries', 'pod-logs', 'kubelet']) mkdirSync(join(node.dir, sub), { recursive: true })
  trustRegistry(node, node.platformRegistry)
  trustRegistry(node, INTERNAL_REGISTRY_PULL_ADDRESS)
  const file = (name: string, content: string) => {
    writeFileSync(join(node.dir, name), content)
    return join(node.dir, name)
  }
  file(join('cni', '10-kless.conflist'), cniConfig(node))
  return {
    node,
    components: [
      {
        name: 'platform-registry',
        command: 'docker-registry',
        args: ['serve', file('platform-registry.yml', registryConfig(node.platformRegistry, cacheDir('platform-registry')))],
      },
      { name: 'containerd', command: 'containerd', args: ['--config', file('containerd.toml', containerdConfig(node))] },
      {
        name: 'kubelet',
        command: binaries.kubelet,
        args: [
          `--config=${file('kubelet.json', kubeletConfig(node, ports))}`,
          `--kubeconfig=${kubeconfig}`,
          `--node-ip=${NODE_IP}`,
          `--hostname-override=${NODE_NAME}`,
          `--root-dir=${join(node.dir, 'kubelet')}`,
          `--cert-dir=${join(node.dir, 'kubelet-pki')}`,
          '--v=0',
        ],
      },
      { name: 'kube-proxy', command: binaries.kubeProxy, args: [`--config=${file('kube-proxy.json', kubeProxyConfig(node, ports))}`] },
    ],
  }
}

/** Makes a buildah image available to the node's pods under `name`, as if pulled (pods use imagePullPolicy IfNotPresent or Never). */
export function importImage(node: RealNodeLayout, buildah: Buildah, ref: string, name?: string): Promise<string> {
  return importInto((args) => run('ctr', ['--address', node.containerdSocket, '--namespace', CONTAINERD_NAMESPACE, ...args]), buildah, ref, name)
}

/** Builds the sandbox and CoreDNS images from their binaries and imports them into the node's containerd. */
export async function importNodeImages(node: RealNodeLayout, binaries: NodeBinaries, buildah = new Buildah()): Promise<void> {
  await importImage(node, buildah, await buildah.fromStaticBinary(binaries.pause, SANDBOX_IMAGE), SANDBOX_IMAGE)
  await importImage(node, buildah, await buildah.fromStaticBinary(binaries.coredns, COREDNS_IMAGE), COREDNS_IMAGE)
}

/**
 * What a real node of `clusterDir` left on the machine, one line per thing: processes, network namespaces, the
 * bridge and veths, iptables rules, mounts, cgroups, the machine's claim and changed sysctls. Empty once cleaned.
 */
export async function realNodeLeftovers(clusterDir: string, sysctlsBefore: Record<string, string>): Promise<string[]> {
  const sh = (script: string) => run('sh', ['-c', script]).then((out) => out.split('\n').filter(Boolean))
  const found: string[] = []
  const add = (what: string, lines: string[]) => found.push(...lines.map((line) => `${what}: ${line}`))
  add('process', await sh(`pgrep -af '${clusterDir}' | grep -v pgrep || true`))
  add('netns', await sh("ip netns list | grep '^cni-' || true"))
  add('link', await sh(`ip -o link show | grep -E '${BRIDGE}|veth' || true`))
  add('iptables', await sh("{ iptables-save; ip6tables-save; } 2>/dev/null | grep -E 'KUBE-|CNI-' || true"))
  add('mount', await sh(`grep ' ${clusterDir}' /proc/mounts || true`))
  add('cgroup', await sh(`ls -d /sys/fs/cgroup/*/${CGROUP_ROOT} 2>/dev/null || true`))
  if (existsSync(CLAIM) && readFileSync(CLAIM, 'utf8').trim() === clusterDir) found.push(`claim: ${CLAIM}`)
  const now = await nodeSysctls()
  for (const [key, before] of Object.entries(sysctlsBefore)) if (now[key] !== before) found.push(`sysctl: ${key} is ${now[key]}, was ${before}`)
  if (existsSync(clusterDir)) found.push(`folder: ${clusterDir}`)
  return found
}

/** The sysctls a real node changes, with their current values. */
async function nodeSysctls(): Promise<Record<string, string>> {
  const values: Record<string, string> = {}
  for (const key of Object.keys(SYSCTLS)) values[key] = (await run('sysctl', ['-n', key])).trim()
  return values
}

/** CoreDNS serving cluster names for pods, as kubeadm deploys it (unprivileged, on 1053 behind port 53). */
export function corednsManifests(): object[] {
  const labels = { 'k8s-app': 'kube-dns' }
  const metadata = { name: 'coredns', namespace: 'kube-system' }
  const corefile = [
    '.:1053 {',
    '  errors',
    '  health :8080',
    '  ready :8181',
    `  kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
    '    pods insecure',
    '    fallthrough in-addr.arpa ip6.arpa',
    '    ttl 5',
    '  }',
    '  forward . /etc/resolv.conf',
    '  cache 5',
    '}',
  ].join('\n')
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kless:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kless:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kless:coredns' },
      subjects: [{ kind: 'ServiceAccount', ...metadata }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { Corefile: corefile } },
    oneReplicaDeployment(metadata, labels, {
      serviceAccountName: 'coredns',
      dnsPolicy: 'Default',
      priorityClassName: 'system-cluster-critical',
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'coredns',
          image: COREDNS_IMAGE,
          imagePullPolicy: 'Never',
          command: ['/coredns', '-conf', '/etc/coredns/Corefile'],
          ports: [
            { name: 'dns', containerPort: 1053, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 1053, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
          livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10 },
          resources: { requests: { cpu: '50m', memory: '40Mi' }, limits: { memory: '170Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
    }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: {
        clusterIP: CLUSTER_DNS_IP,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, targetPort: 1053, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: 1053, protocol: 'TCP' },
        ],
      },
    },
  ]
}
