/**
 * How `kless run` starts a runtime's host on this machine as the runtime's image would: the exact interpreter and host
 * (staged by @kless/runtime-staging), the function folder in place of /kubeless, and the function's dependencies
 * installed into a cache keyed by the dependency file (nodeFunctionEnv, pythonFunctionEnv), so the author's folder
 * is left as it is.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { runtimeInfo } from '@kless/runtime-matrix'
import { functionEnv, nodeFunctionEnv, prepareNodeRuntime, preparePythonRuntime, pythonFunctionEnv } from '@kless/runtime-staging'

const run = promisify(execFile)

export const INSPECTOR_PORT = 9229

export interface HostCommand {
  command: string
  args: string[]
  env: Record<string, string>
  /** e.g. "nodejs12 on Node 12.22.12" */
  description: string
  /** Undefined when `file` compiles; else the interpreter's own report (file, line, what is wrong). */
  syntaxError(file: string): Promise<string | undefined>
}

async function compileError(command: string, args: string[], file: string): Promise<string | undefined> {
  try {
    await run(command, [...args, file], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
    return undefined
  } catch (err) {
    const report = ((err as { stderr?: string }).stderr || (err as Error).message).trim()
    // Python's report starts with the traceback of the checking one-liner; from the file's own line on is what matters.
    const own = report.indexOf(`File "${file}"`)
    // Node's ends with the checker's own stack, which says nothing about the function.
    return (own > 0 ? report.slice(own) : report)
      .split('\n')
      .filter((line) => !/^\s+at /.test(line))
      .join('\n')
      .trim()
  }
}

/** The host command for `runtime` serving `dir`; `inspect` opens the Node inspector on INSPECTOR_PORT. */
export async function hostCommand(runtime: string, dir: string, options: { inspect: boolean }): Promise<HostCommand> {
  const language = runtimeInfo(runtime).language
  if (options.inspect && language !== 'nodejs') throw new Error(`--inspect opens the Node inspector; ${runtime} is not a Node runtime`)
  if (language === 'nodejs') {
    const [staged, deps] = await Promise.all([prepareNodeRuntime(runtime), nodeFunctionEnv(dir)])
    const inspect = options.inspect ? [`--inspect=127.0.0.1:${INSPECTOR_PORT}`] : []
    return {
      command: staged.node,
      args: [...inspect, ...staged.args],
      env: { ...staged.env, ...deps, ...functionEnv(runtime, dir) },
      description: `${runtime} on Node ${staged.version}`,
      syntaxError: (file) => compileError(staged.node, ['--check'], file),
    }
  }
  const staged = await preparePythonRuntime(runtime)
  const deps = await pythonFunctionEnv(staged, dir)
  return {
    command: staged.python,
    args: staged.args,
    // No __pycache__ in the author's folder (the image's is read-only, so it gets none either).
    env: { ...staged.env, ...deps, ...functionEnv(runtime, dir), PYTHONDONTWRITEBYTECODE: '1' },
    description: `${runtime} on Python ${staged.version}`,
    // compile() only: py_compile would write __pycache__ into the author's folder.
    syntaxError: (file) => compileError(staged.python, ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")'], file),
  }
}
