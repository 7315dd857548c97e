import { RUNTIME_NAMES, runtimeInfo } from '@kless/runtime-matrix'
import { freePort, functionEnv, start, waitFor } from '@kless/testkit'
import { prepareNodeRuntime } from '@kless/testkit/dist/node-runtime'
import { preparePythonRuntime, pythonFunctionEnv } from '@kless/testkit/dist/python-runtime'
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

/** Runtime name (as in Function spec.runtime) → how to start a function on it, for every runtime of the matrix. */
export const runtimes: Record<string, Launcher> = Object.fromEntries(
  RUNTIME_NAMES.map((runtime) => [runtime, runtimeInfo(runtime).language === 'nodejs' ? nodeLauncher(runtime) : pythonLauncher(runtime)]),
)

/** Runtimes to run, from KLESS_RUNTIMES (comma separated) or all registered ones. */
export function selectedRuntimes(filter = process.env.KLESS_RUNTIMES): string[] {
  const all = Object.keys(runtimes)
  if (!filter) return all
  const wanted = filter.split(',').map((name) => name.trim()).filter(Boolean)
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

/**
 * Starts a process that serves on FUNC_PORT and waits for GET /healthz → 200. Shared by every runtime:
 * a launcher only says which command and variables start its server.
 */
export async function launchProcess(command: string, args: string[], env: Record<string, string>): Promise<RunningFunction> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = start(command, args, { env: { ...env, FUNC_PORT: String(port) } })
  let exitCode: number | null | undefined
  proc.exited.then((code) => (exitCode = code))
  const describe = () => `${command} ${args.join(' ')} to answer /healthz`
  try {
    // An exit ends the wait at once: a process that cannot start is reported with its output, not after 30 s.
    await waitFor(async () => exitCode !== undefined || healthy(url), 30000, describe)
    if (exitCode !== undefined) throw new Error(`${describe()}: it exited with ${exitCode} first`)
  } catch (err) {
    await proc.stop(1000)
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

function nodeLauncher(runtime: string): Launcher {
  let prepared: ReturnType<typeof prepareNodeRuntime> | undefined
  return async ({ functionDir, env }) => {
    prepared ??= prepareNodeRuntime(runtime)
    const rt = await prepared
    return launchProcess(rt.node, rt.args, {
      ...rt.env,
      ...functionEnv(runtime, functionDir),
      NODE_PATH: `${functionDir}/node_modules`,
      ...env,
    })
  }
}

function pythonLauncher(runtime: string): Launcher {
  let prepared: ReturnType<typeof preparePythonRuntime> | undefined
  return async ({ functionDir, env }) => {
    prepared ??= preparePythonRuntime(runtime)
    const rt = await prepared
    return launchProcess(rt.python, rt.args, {
      ...rt.env,
      ...(await pythonFunctionEnv(rt, functionDir)),
      ...functionEnv(runtime, functionDir),
      ...env,
    })
  }
}
