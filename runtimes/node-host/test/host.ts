import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import { freePort, functionEnv, NodeRuntimeName, prepareNodeRuntime, start, Started, waitFor } from '@kless/testkit'

export const RUNTIMES: NodeRuntimeName[] = ['nodejs10', 'nodejs12', 'nodejs20', 'nodejs22']

/** A function folder (the image's /kubeless) holding the given files; removed by `remove()`. */
export function functionFolder(files: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kless-fn-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface RunningHost extends Started {
  url: string
}

/** Starts the host on the runtime's real interpreter, as its image would, without waiting for readiness. */
export async function launchHost(runtime: NodeRuntimeName, dir: string, env: Record<string, string> = {}): Promise<RunningHost> {
  const rt = await prepareNodeRuntime(runtime)
  const port = await freePort()
  const started = start(rt.node, rt.args, {
    env: { ...rt.env, ...functionEnv(runtime, dir), FUNC_PORT: String(port), ...env },
  })
  return { ...started, url: `http://127.0.0.1:${port}` }
}

/** Starts the host and waits until /healthz answers. */
export async function startHost(runtime: NodeRuntimeName, dir: string, env: Record<string, string> = {}): Promise<RunningHost> {
  const host = await launchHost(runtime, dir, env)
  try {
    await waitFor(
      async () => (await fetch(`${host.url}/healthz`)).ok,
      20_000,
      () => `${runtime} host on ${host.url}:\n${host.output()}`,
    )
  } catch (err) {
    await host.stop()
    throw err
  }
  return host
}
