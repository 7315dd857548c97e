import { run } from './run'

/**
 * The Debian packages that build and run images on a machine without a Docker daemon (see
 * docs/images.md): buildah builds, containerd and runc run, docker-registry serves, debootstrap makes
 * the stand-in base images' root filesystem, skopeo copies between registries and archives. A real test node
 * adds the CNI plugins and conntrack (kube-proxy clears stale UDP entries with it). The CLI's terminal test types
 * into tmux and calls with curl, as a user would; the Git tests serve over SSH with OpenSSH's sshd.
 */
export const IMAGE_TOOL_PACKAGES = [
  'buildah',
  'containerd',
  'runc',
  'skopeo',
  'docker-registry',
  'debootstrap',
  'iptables',
  'apache2-utils',
  'containernetworking-plugins',
  'conntrack',
  'tmux',
  'curl',
  'openssh-server',
] as const

async function missing(packages: readonly string[]): Promise<string[]> {
  const installed = await run('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...packages]).catch((err: Error) => err.message)
  return packages.filter((name) => !new RegExp(`^${name} installed$`, 'm').test(installed))
}

/** Installs whichever of `packages` is missing with apt-get (root only); returns the ones it installed. */
export async function ensureDebianPackages(packages: readonly string[]): Promise<string[]> {
  const absent = await missing(packages)
  if (absent.length === 0) return []
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages ${absent.join(' ')}: install them as root (apt-get install ${absent.join(' ')})`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  await run('apt-get', ['update', '-qq'], { env })
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...absent], { env })
  return absent
}
