// Starts the Python host as a real process on the runtime's real interpreter, as its image would.
import { execFile } from 'child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import t from 'tap'
import { promisify } from 'util'
import { freePort, functionEnv, preparePythonRuntime, pythonFunctionEnv, PythonRuntimeName, start, waitFor } from '@kless/testkit'

export const run = promisify(execFile)
export const hostDir = join(__dirname, '..')
export const RUNTIMES: PythonRuntimeName[] = ['python38', 'python312']

/** A function folder holding the given files, removed when the test file ends. */
export function functionDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kless-py-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts the host without waiting for it to serve; it is stopped when the test file ends. */
export async function launch(runtime: PythonRuntimeName, files: Record<string, string>, env: Record<string, string> = {}) {
  const rt = await preparePythonRuntime(runtime)
  const port = await freePort()
  const dir = functionDir(files)
  const host = start(rt.python, rt.args, {
    env: { ...rt.env, ...(await pythonFunctionEnv(rt, dir)), ...functionEnv(runtime, dir), FUNC_PORT: String(port), ...env },
  })
  t.teardown(() => host.stop(1000))
  return { host, url: `http://127.0.0.1:${port}` }
}

/** Starts the host and waits until /healthz answers. */
export async function serving(runtime: PythonRuntimeName, files: Record<string, string>, env: Record<string, string> = {}) {
  const { host, url } = await launch(runtime, files, env)
  await waitFor(
    async () => host.child.exitCode === null && (await fetch(`${url}/healthz`)).ok,
    10000,
    () => `the ${runtime} host to serve:\n${host.output()}`,
  )
  return { host, url }
}

/** The host's failure catalogue (kless_host/failures.py), as the interpreter reads it. */
export async function pythonCatalogue(runtime: PythonRuntimeName): Promise<Array<{ name: string; status: number; body: string }>> {
  const rt = await preparePythonRuntime(runtime)
  const script = 'import json\nfrom kless_host.failures import CATALOGUE\nprint(json.dumps([f._asdict() for f in CATALOGUE]))'
  const { stdout } = await run(rt.python, ['-c', script], { cwd: hostDir })
  return JSON.parse(stdout)
}
