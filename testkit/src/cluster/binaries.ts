import { execFile } from 'child_process'
import { existsSync, readFileSync, writeFileSync } from 'fs'
import { join } from 'path'
import { promisify } from 'util'
import { assertBuildAllowed, cacheDir, withLock } from '@kless/runtime-staging'
import { goInstall } from '../go'

const run = promisify(execFile)

/** The wrapper Go module that pins Kubernetes, its staging modules and etcd. */
export const WRAPPER_MODULE_DIR = join(__dirname, '..', '..', 'cluster')

const KWOK_PACKAGE = 'sigs.k8s.io/kwok/cmd/kwok'
const KWOK_VERSION = 'v0.8.0'

/** Kubernetes commands built from the wrapper module, by binary name. */
const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const
const ETCD_PACKAGE = 'go.etcd.io/etcd/server/v3'
/** The CoreDNS release Kubernetes 1.34 ships with (kubeadm's default). */
const COREDNS_MODULE = 'github.com/coredns/coredns'
const COREDNS_VERSION = 'v1.12.1'

export interface ClusterBinaries {
  etcd: string
  kubeApiserver: string
  kubeControllerManager: string
  kubeScheduler: string
  kubectl: string
  kwok: string
  kubernetesVersion: string
  etcdVersion: string
}

/** Reads the pinned versions from the wrapper module so go.mod stays the single source of truth. */
export function pinnedVersions(goMod = readFileSync(join(WRAPPER_MODULE_DIR, 'go.mod'), 'utf8')): { kubernetes: string; etcd: string } {
  const versionOf = (module: string): string => {
    const match = new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(goMod)
    if (!match) throw new Error(`${WRAPPER_MODULE_DIR}/go.mod does not require ${module}`)
    return match[1]
  }
  return { kubernetes: versionOf('k8s.io/kubernetes'), etcd: versionOf(ETCD_PACKAGE) }
}

/** Linker flags that stamp the release into the binaries, as the upstream release build does. */
function versionLdflags(kubernetes: string): string {
  const [major, minor] = kubernetes.replace(/^v/, '').split('.')
  const stamp = (pkg: string) => [
    `-X ${pkg}.gitVersion=${kubernetes}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]
  return ['-s', '-w', ...stamp('k8s.io/component-base/version'), ...stamp('k8s.io/client-go/pkg/version')].join(' ')
}

/** `go build` in the wrapper module with the release stamped in; a missing toolchain or a failed build says which. */
function buildInWrapperModule(kubernetes: string, args: string[]): Promise<unknown> {
  return run('go', ['build', '-trimpath', '-ldflags', versionLdflags(kubernetes), ...args], {
    cwd: WRAPPER_MODULE_DIR,
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
    if (err.code === 'ENOENT') throw new Error('building the test cluster needs the Go toolchain (1.24 or later) on PATH')
    throw new Error(`go build ${args.at(-1)} in ${WRAPPER_MODULE_DIR} failed:\n${err.stderr || err.message}`)
  })
}

/** Runs `build` into `dir` once: a marker file is written last, so an interrupted build is redone. */
async function buildOnce(dir: string, what: string, log: (line: string) => void, build: () => Promise<void>): Promise<void> {
  const marker = join(dir, '.complete')
  if (existsSync(marker)) return
  assertBuildAllowed(what)
  await withLock(join(dir, '.lock'), async () => {
    if (existsSync(marker)) return
    const started = Date.now()
    log(`building ${what} into ${dir} (first time only; takes long)`)
    await build()
    writeFileSync(marker, `built in ${Math.round((Date.now() - started) / 1000)} s\n`)
  })
}

/** Builds etcd, the control plane, kubectl and kwok once per pinned version into the cache and returns their paths. */
export async function clusterBinaries(log: (line: string) => void = () => undefined): Promise<ClusterBinaries> {
  const versions = pinnedVersions()
  const dir = cacheDir('kubernetes', `${versions.kubernetes}-etcd-${versions.etcd}`)
  await buildOnce(dir, `Kubernetes ${versions.kubernetes} and etcd ${versions.etcd}`, log, async () => {
    await buildInWrapperModule(versions.kubernetes, ['-o', join(dir, 'etcd'), ETCD_PACKAGE])
    await buildInWrapperModule(versions.kubernetes, ['-o', `${dir}/`, ...KUBERNETES_COMMANDS.map((command) => `k8s.io/kubernetes/cmd/${command}`)])
  })
  const kwok = await goInstall(KWOK_PACKAGE, KWOK_VERSION)
  return {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kubectl: join(dir, 'kubectl'),
    kwok,
    kubernetesVersion: versions.kubernetes,
    etcdVersion: versions.etcd,
  }
}

export interface NodeBinaries {
  kubelet: string
  kubeProxy: string
  /** The pod sandbox's process (`pause/` in the wrapper module). */
  pause: string
  coredns: string
}

/** What a real node runs besides Debian's containerd, runc and CNI plugins, built once per pinned version. */
export async function nodeBinaries(log: (line: string) => void = () => undefined): Promise<NodeBinaries> {
  const { kubernetes } = pinnedVersions()
  const dir = cacheDir('kubernetes-node', kubernetes)
  await buildOnce(dir, `kubelet and kube-proxy ${kubernetes}`, log, async () => {
    await buildInWrapperModule(kubernetes, ['-o', `${dir}/`, 'k8s.io/kubernetes/cmd/kubelet', 'k8s.io/kubernetes/cmd/kube-proxy', './pause'])
  })
  const coredns = await goInstall(COREDNS_MODULE, COREDNS_VERSION)
  return { kubelet: join(dir, 'kubelet'), kubeProxy: join(dir, 'kube-proxy'), pause: join(dir, 'pause'), coredns }
}
