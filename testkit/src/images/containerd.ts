import { spawn } from 'child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { cacheDir, withLock } from '@kless/runtime-staging'
import { isAlive, start, Started, waitFor } from '../process'
import { Buildah } from './buildah'
import { run } from './run'

const NAMESPACE = 'kless'
const FOLDER_PREFIX = 'kless-containerd-'

/**
 * Shell that unmounts what is still mounted under "$dir", deepest first, and removes the folder. A shim's last
 * mount can stay busy for a moment after its kill, so it tries a few times.
 */
const REMOVE_FOLDER = [
  'for attempt in 1 2 3 4 5; do',
  '  grep -o " $dir[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null',
  '  rm -rf "$dir" 2>/dev/null && break',
  '  sleep 1',
  'done',
].join('\n')

/** The capabilities containerd grants a container by default (the OCI default set); a restricted pod drops them all. */
const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
]

export interface ContainerOptions {
  image: string
  /** Unique among running containers. */
  id: string
  env?: Record<string, string>
  /** Host folder → container path, mounted read-only. */
  binds?: Record<string, string>
  /**
   * Kubernetes' restricted pod security: read-only root filesystem with a tmpfs /tmp, every capability dropped,
   * no privilege escalation. The image's own USER (1000 for every kless runtime) is kept.
   */
  restricted?: boolean
  /** The host's network (loopback included); without it the container has a network namespace with only loopback. */
  hostNetwork?: boolean
  /** Replaces the image's CMD. */
  command?: string[]
}

/**
 * A containerd of the test run's own (its root, state and socket in one folder), running images built by buildah
 * under runc, as a kubelet would. It stops when the owning process exits: a killed test run leaves no daemon,
 * shim or mount behind.
 */
export class Containerd {
  private constructor(
    readonly dir: string,
    readonly socket: string,
    private readonly daemon: Started,
  ) {}

  static async start(): Promise<Containerd> {
    await removeOrphans()
    const dir = join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-${Date.now().toString(36)}`)
    mkdirSync(dir, { recursive: true })
    const socket = join(dir, 'containerd.sock')
    const config = join(dir, 'config.toml')
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        // Images reach this containerd by import; the CRI plugin is the real node's business.
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${socket}"`,
        '[ttrpc]',
        `  address = "${dir}/ttrpc.sock"`,
        '',
      ].join('\n'),
    )
    const daemon = start('containerd', ['--config', config], {})
    // The daemon must not keep its owner alive; the reaper or stop() ends it.
    daemon.child.unref()
    for (const stream of [daemon.child.stdout, daemon.child.stderr]) (stream as unknown as { unref(): void } | null)?.unref()
    startReaper(dir)
    const containerd = new Containerd(dir, socket, daemon)
    await waitFor(
      async () => existsSync(socket) && (await containerd.ctr(['version']).then(() => true)),
      30_000,
      () => `containerd to answer on ${socket}\n${daemon.output()}`,
    )
    return containerd
  }

  ctr(args: string[]): Promise<string> {
    return run('ctr', ['--address', this.socket, '--namespace', NAMESPACE, ...args])
  }

  /** Makes a buildah image available under `name` (default: its own docker.io name). */
  importImage(buildah: Buildah, ref: string, name?: string): Promise<string> {
    return importInto((args) => this.ctr(args), buildah, ref, name)
  }

  /** Starts a container in the foreground of a `ctr run` process: its output is the container's, a signal reaches it. */
  run(options: ContainerOptions): Started {
    const args = ['--address', this.socket, '--namespace', NAMESPACE, 'run', '--rm']
    if (options.hostNetwork) args.push('--net-host')
    if (options.restricted) {
      args.push('--read-only', '--mount', 'type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777')
      for (const capability of DEFAULT_CAPABILITIES) args.push('--cap-drop', `CAP_${capability}`)
    }
    for (const [source, target] of Object.entries(options.binds ?? {})) args.push('--mount', `type=bind,src=${source},dst=${target},options=rbind:ro`)
    for (const [name, value] of Object.entries(options.env ?? {})) args.push('--env', `${name}=${value}`)
    args.push(options.image, options.id, ...(options.command ?? []))
    return start('ctr', args)
  }

  /** Runs a command inside a running container and returns its stdout. */
  exec(id: string, command: string[]): Promise<string> {
    return this.ctr(['task', 'exec', '--exec-id', `exec-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, id, ...command])
  }

  async stop(): Promise<void> {
    for (const id of (await this.ctr(['tasks', 'ls', '-q']).catch(() => '')).split('\n').filter(Boolean))
      await this.ctr(['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => undefined)
    await this.daemon.stop(5000)
    await run('sh', ['-c', `dir=$1\n${REMOVE_FOLDER}`, 'sh', this.dir]).catch(() => undefined)
  }
}

/**
 * Makes a buildah image available to a containerd (reached through `ctr`, its address and namespace given) under
 * `name`, by default its own docker.io name, as if pulled. The archive names the image, so the import gives it
 * exactly that name.
 */
export async function importInto(
  ctr: (args: string[]) => Promise<string>,
  buildah: Buildah,
  ref: string,
  name = `docker.io/${ref.replace(/^localhost\//, '')}`,
): Promise<string> {
  if (!(await ctr(['images', 'ls', '-q'])).split('\n').includes(name)) await ctr(['images', 'import', await imageArchive(buildah, ref, name)])
  return name
}

/** A docker-archive of a buildah image, named `name`: exported once per image ID into the cache, so later runs only import. */
async function imageArchive(buildah: Buildah, ref: string, name: string): Promise<string> {
  const id = (await buildah.imageId(ref)).slice(0, 20)
  const archive = join(cacheDir('image-archives'), `${id}-${name.replace(/[^A-Za-z0-9.-]/g, '_')}.tar`)
  if (!existsSync(archive)) {
    await withLock(`${archive}.lock`, async () => {
      if (existsSync(archive)) return
      await buildah.push(ref, `docker-archive:${archive}.tmp:${name}`)
      await run('mv', [`${archive}.tmp`, archive])
    })
  }
  return archive
}

/**
 * Removes the folders of containerds whose owner died without its reaper finishing (the machine rebooted, or the
 * reaper was killed too): each holds an image store of a gigabyte or more.
 */
async function removeOrphans(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const owner = Number(new RegExp(`^${FOLDER_PREFIX}(\\d+)-`).exec(name)?.[1])
    if (owner && !isAlive(owner)) await run('sh', ['-c', `dir=$1\n${REMOVE_FOLDER}`, 'sh', join(tmpdir(), name)]).catch(() => undefined)
  }
}

/** Kills containerd, its shims and their containers, and removes the folder, once this process is gone. */
function startReaper(dir: string): void {
  const script = [
    'owner=$1; dir=$2',
    'while kill -0 "$owner" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done',
    // Even when the folder is gone already: another run's removeOrphans may have taken it first, and the daemon still
    // runs. The daemon and the shims have the folder in their arguments; the containers die with their shims.
    'for pid in $(pgrep -f "^containerd --config $dir/") $(pgrep -f "containerd-shim.*$dir"); do kill -9 "$pid" 2>/dev/null; done',
    '[ -d "$dir" ] || exit 0',
    'sleep 1',
    REMOVE_FOLDER,
  ].join('\n')
  spawn('sh', ['-c', script, 'kless-containerd-reaper', String(process.pid), dir], { detached: true, stdio: 'ignore' }).unref()
}
