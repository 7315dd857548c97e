import { execFile } from 'child_process'
import { existsSync, readFileSync, writeFileSync } from 'fs'
import { join } from 'path'
import { promisify } from 'util'
import { assertBuildAllowed, cacheDir } from '../cache'
import { goInstall } from '../go'
import { withLock } from '../lock'

const run = promisify(execFile)

/** The wrapper Go module that pins Kubernetes, its staging modules and etcd. */
export const WRAPPER_MODULE_DIR = join(__dirname, '..', '..', 'cluster')

const KWOK_PACKAGE = 'sigs.k8s.io/kwok/cmd/kwok'
const KWOK_VERSION = 'v0.8.0'

/** Kubernetes commands built from the wrapper module, by binary name. */
const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const
const ETCD_PACKAGE = 'go.etcd.io/etcd/server/v3'

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
  const stamp = (pkg: string) =>
    [`-X ${pkg}.gitVersion=${kubernetes}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`]
  return ['-s', '-w', ...stamp('k8s.io/component-base/version'), ...stamp('k8s.io/client-go/pkg/version')].join(' ')
}

/**
 * Builds etcd, the control plane, kubectl and kwok once per pinned version into the cache and
 * returns their paths. A marker file is written last, so an interrupted build is redone.
 */
export async function clusterBinaries(log: (line: string) => void = () => undefined): Promise<ClusterBinaries> {
  const versions = pinnedVersions()
  const dir = cacheDir('kubernetes', `${versions.kubernetes}-etcd-${versions.etcd}`)
  const marker = join(dir, '.complete')
  if (!existsSync(marker)) {
    assertBuildAllowed(`Kubernetes ${versions.kubernetes} and etcd ${versions.etcd}`)
    await withLock(join(dir, '.lock'), async () => {
      if (existsSync(marker)) return
      const started = Date.now()
      log(`building Kubernetes ${versions.kubernetes} and etcd ${versions.etcd} into ${dir} (first time only; takes long)`)
      const env = { ...process.env, CGO_ENABLED: '0' }
      const go = (args: string[]) =>
        run('go', ['build', '-trimpath', '-ldflags', versionLdflags(versions.kubernetes), ...args], {
          cwd: WRAPPER_MODULE_DIR,
          env,
          maxBuffer: 64 * 1024 * 1024,
        }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
          if (err.code === 'ENOENT') throw new Error('building the test cluster needs the Go toolchain (1.24 or later) on PATH')
          throw new Error(`go build ${args.at(-1)} in ${WRAPPER_MODULE_DIR} failed:\n${err.stderr || err.message}`)
        })
      await go(['-o', join(dir, 'etcd'), ETCD_PACKAGE])
      await go(['-o', `${dir}/`, ...KUBERNETES_COMMANDS.map((command) => `k8s.io/kubernetes/cmd/${command}`)])
      writeFileSync(marker, `built in ${Math.round((Date.now() - started) / 1000)} s\n`)
    })
  }
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
