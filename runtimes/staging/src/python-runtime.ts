import { execFile } from 'child_process'
import { existsSync, readFileSync } from 'fs'
import { homedir } from 'os'
import { join } from 'path'
import { promisify } from 'util'
import { runtimeInfo, runtimesOf } from '@kless/runtime-matrix'
import { cacheDir, cacheKey } from './cache'
import { buildOnce } from './lock'
import { RUNTIMES_DIR } from './sources'

const run = promisify(execFile)

/** A Python runtime of the runtime matrix, e.g. `python38`. */
export type PythonRuntimeName = string

/** The exact CPython release each runtime of the matrix runs on, as pyenv names it. */
export const PYTHON_VERSIONS: Readonly<Record<PythonRuntimeName, string>> = Object.fromEntries(
  runtimesOf('python').map((runtime) => [runtime, runtimeInfo(runtime).version]),
)

export interface PythonRuntime {
  /** The runtime's venv interpreter (a real CPython of the runtime's version with the pinned host packages). */
  python: string
  /** Arguments that start the host: python-host/kless.py in RUNTIMES_DIR, run in place as the image runs /kless/kless.py. */
  args: string[]
  /** Environment the runtime image sets itself; add the function's variables on top. */
  env: Record<string, string>
  /** The full Python version, e.g. `3.8.18`. */
  version: string
}

const hostEntry = join(RUNTIMES_DIR, 'python-host', 'kless.py')

/**
 * The CPython `version` (exact, e.g. `3.8.18`) from pyenv: `$PYENV_ROOT/versions/<version>/bin/python`, default
 * root ~/.pyenv. Throws with the command that installs it when it is missing.
 */
export function pythonInterpreter(version: string): { path: string; version: string } {
  const path = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions', version, 'bin', 'python')
  if (!existsSync(path)) throw new Error(`Python ${version} is not installed: no ${path} (install it with \`pyenv install ${version}\`)`)
  return { path, version }
}

/** A venv at `dir` made by `interpreter` with `requirements` (pip arguments) installed; built once under a lock. Returns its python. */
export async function venvWith(dir: string, interpreter: string, requirements: string[]): Promise<string> {
  const python = join(dir, 'bin', 'python')
  await buildOnce(
    dir,
    async () => {
      await run(interpreter, ['-m', 'venv', '--clear', dir])
      await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...requirements], {
        maxBuffer: 16 * 1024 * 1024,
      })
    },
    `the Python environment ${dir}`,
  )
  return python
}

/**
 * Prepares a Python runtime as its image holds it, so a test can start functions on the real interpreter: a venv
 * of the runtime's Python (from pyenv) with the host packages pinned in <runtime>/requirements.txt of RUNTIMES_DIR,
 * cached under `cacheDir('python-runtime')` keyed by the Python version and that file, built once under a lock.
 *
 * Start a function with:
 *
 *     spawn(rt.python, rt.args, { env: { ...rt.env, ...functionEnv(runtime, functionDir), FUNC_PORT: '8080', ...userEnv } })
 *
 * where `functionDir` holds `handler.py` (the layout of `/kubeless`); the function's own requirements.txt
 * comes from `pythonFunctionEnv`. GET /healthz answers 200 once the host is ready.
 */
export async function preparePythonRuntime(runtime: PythonRuntimeName): Promise<PythonRuntime> {
  if (!runtimesOf('python').includes(runtime))
    throw new Error(`unknown Python runtime "${runtime}"; expected one of ${Object.keys(PYTHON_VERSIONS).join(', ')}`)
  const version = PYTHON_VERSIONS[runtime]
  const interpreter = pythonInterpreter(version)
  const requirementsFile = join(RUNTIMES_DIR, runtime, 'requirements.txt')
  const dir = cacheDir('python-runtime', `${runtime}-${interpreter.version}-${cacheKey(readFileSync(requirementsFile))}`)
  const python = await venvWith(dir, interpreter.path, ['-r', requirementsFile])
  return {
    python,
    args: [hostEntry],
    env: { PATH: `${join(python, '..')}:${process.env.PATH || '/usr/bin:/bin'}`, PYTHONUNBUFFERED: '1' },
    version: interpreter.version,
  }
}

/**
 * Installs the function's requirements.txt (if it lists anything) for the runtime, as the function build does into
 * the image, and returns the PYTHONPATH that puts them on sys.path. Cached by runtime and file content.
 */
export async function pythonFunctionEnv(runtime: PythonRuntime, functionDir: string): Promise<Record<string, string>> {
  const requirementsFile = join(functionDir, 'requirements.txt')
  const listed = existsSync(requirementsFile) && /^\s*[^#\s]/m.test(readFileSync(requirementsFile, 'utf8'))
  // The function folder itself is not put on PYTHONPATH: the host appends it to sys.path, after the standard
  // library, so a function file cannot shadow a module the host needs.
  if (!listed) return {}
  const target = cacheDir('python-function-deps', `${runtime.version}-${cacheKey(readFileSync(requirementsFile))}`)
  await buildOnce(target, async () => {
    const pip = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--upgrade']
    await run(runtime.python, [...pip, '--target', join(target, 'site-packages'), '-r', requirementsFile], { maxBuffer: 16 * 1024 * 1024 })
  })
  return { PYTHONPATH: join(target, 'site-packages') }
}
