import { RUNTIME_NAMES, runtimeImage, runtimeInfo } from '@kless/runtime-matrix'
import {
  Buildah,
  builtImage,
  Containerd,
  freePort,
  functionEnv,
  prepareNodeRuntime,
  preparePythonRuntime,
  pythonFunctionEnv,
  start,
  Started,
  waitFor,
} from '@kless/testkit'
import { get } from 'http'

/** A function served by a runtime as a real process on loopback. */
export interface RunningFunction {
  url: string
  /** Everything the process printed, for failure messages. */
  output(): string
  /** Resolves with the exit code when the process ends, for whatever reason. */
  exited: Promise<number | null>
  /** Sends a signal to the process, as Kubernetes does when it stops a pod. */
  signal(name: NodeJS.Signals): void
  stop(): Promise<void>
}

export interface LaunchOptions {
  /** Folder holding the function's handler file, mounted where the runtime expects `/kubeless`. */
  functionDir: string
  /** The function's own variables (spec.env), applied over the runtime's. */
  env: Record<string, string>
}

export type Launcher = (options: LaunchOptions) => Promise<RunningFunction>

/**
 * Where a runtime serves the table: `process`, the host on the runtime's bare interpreter (fast, every change);
 * `image`, the runtime image's own CMD under containerd and runc, restricted as a Function pod is.
 */
export type Target = 'process' | 'image'
export const TARGETS: readonly Target[] = ['process', 'image']

const launchers = new Map<string, Launcher>()

/** How to start a function on `runtime` (any runtime of the matrix) at `target`; one launcher per pair, reused. */
export function launcher(runtime: string, target: Target): Launcher {
  const key = `${runtime}@${target}`
  let found = launchers.get(key)
  if (!found) {
    const language = runtimeInfo(runtime).language
    found = target === 'image' ? imageLauncher(runtime) : language === 'nodejs' ? nodeLauncher(runtime) : pythonLauncher(runtime)
    launchers.set(key, found)
  }
  return found
}

/** Runtimes to run, from KLESS_RUNTIMES (comma separated) or every runtime of the matrix. */
export function selectedRuntimes(filter = process.env.KLESS_RUNTIMES): string[] {
  const all = [...RUNTIME_NAMES]
  if (!filter) return all
  const wanted = filter
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  for (const name of wanted) if (!all.includes(name)) throw new Error(`KLESS_RUNTIMES names unknown runtime "${name}"; registered: ${all.join(', ')}`)
  return wanted
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${url}/healthz`, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on('error', () => resolve(false))
    request.setTimeout(1000, () => request.destroy())
  })
}

const PORT_ATTEMPTS = 3

/**
 * Starts a server on a free FUNC_PORT and waits for GET /healthz → 200. Shared by every runtime and target: a
 * launcher only says how to start a server on a port; `what` names it in messages.
 */
export async function launchServer(what: string, startOn: (port: number) => Started | Promise<Started>): Promise<RunningFunction> {
  const describe = () => `${what} to answer /healthz`
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const proc = await startOn(port)
    let exitCode: number | null | undefined
    proc.exited.then((code) => (exitCode = code))
    try {
      // An exit ends the wait at once: a process that cannot start is reported with its output, not after 30 s.
      await waitFor(async () => exitCode !== undefined || healthy(url), 30000, describe)
      if (exitCode !== undefined) throw new Error(`${describe()}: it exited with ${exitCode} first`)
    } catch (err) {
      await proc.stop(1000)
      // The port was free when freePort closed it, but under a busy suite an outgoing connection of another process
      // can take it from the ephemeral range before the server binds it: that is the harness's race, not the host's.
      if (exitCode !== undefined && attempt < PORT_ATTEMPTS && /EADDRINUSE|Address already in use/.test(proc.output())) continue
      throw new Error(`${(err as Error).message}\n--- output ---\n${proc.output()}`)
    }
    return {
      url,
      output: proc.output,
      exited: proc.exited,
      signal: (name) => void proc.child.kill(name),
      stop: async () => void (await proc.stop(3000)),
    }
  }
}

function nodeLauncher(runtime: string): Launcher {
  let prepared: ReturnType<typeof prepareNodeRuntime> | undefined
  return async ({ functionDir, env }) => {
    prepared ??= prepareNodeRuntime(runtime)
    const rt = await prepared
    const processEnv = { ...rt.env, ...functionEnv(runtime, functionDir), NODE_PATH: `${functionDir}/node_modules`, ...env }
    return launchServer(`${rt.node} ${rt.args.join(' ')}`, (port) => start(rt.node, rt.args, { env: { ...processEnv, FUNC_PORT: String(port) } }))
  }
}

function pythonLauncher(runtime: string): Launcher {
  let prepared: ReturnType<typeof preparePythonRuntime> | undefined
  return async ({ functionDir, env }) => {
    prepared ??= preparePythonRuntime(runtime)
    const rt = await prepared
    const processEnv = { ...rt.env, ...(await pythonFunctionEnv(rt, functionDir)), ...functionEnv(runtime, functionDir), ...env }
    return launchServer(`${rt.python} ${rt.args.join(' ')}`, (port) => start(rt.python, rt.args, { env: { ...processEnv, FUNC_PORT: String(port) } }))
  }
}

let containerd: Promise<Containerd> | undefined
let sequence = 0

/**
 * The runtime image's own CMD under containerd and runc, as a Function pod runs it: read-only root filesystem with a
 * tmpfs /tmp, the image's uid 1000, every capability dropped, the function folder at /kubeless (read-only, where a
 * build puts it). Host networking, so the table's loopback sink is reachable. The image must have been built by the
 * bootstrap; this only reads the cache.
 */
function imageLauncher(runtime: string): Launcher {
  let image: Promise<string> | undefined
  return async ({ functionDir, env }) => {
    containerd ??= Containerd.start()
    const daemon = await containerd
    image ??= (async () => {
      const buildah = new Buildah()
      return daemon.importImage(buildah, (await builtImage(buildah, runtimeImage(runtime))).keyed, `docker.io/${runtimeImage(runtime)}`)
    })()
    const ref = await image
    // A container of its own for each start on a port: a start that lost its port is not in the way of the next.
    const id = `${runtime}-${process.pid}-${++sequence}`
    return launchServer(`${ref} in container ${id}-<port>`, (port) =>
      daemon.run({
        image: ref,
        id: `${id}-${port}`,
        restricted: true,
        hostNetwork: true,
        binds: { [functionDir]: '/kubeless' },
        env: { ...functionEnv(runtime, '/kubeless'), ...env, FUNC_PORT: String(port) },
      }),
    )
  }
}
