import type { V1EnvVar } from '@kubernetes/client-node'
import { DEFAULT_RUNTIME, RUNTIMES, type Function, type Runtime } from '../api/types.js'

/** What the build and the Deployment need to know about one runtime. */
export interface RuntimeProfile {
  runtime: Runtime
  language: 'nodejs' | 'python'
  /** File names of the source and dependencies inside the build context (and in /kubeless in the image). */
  sourceFile: string
  dependenciesFile: string
  /** Environment the function host needs to find the code and its installed dependencies. */
  env: V1EnvVar[]
}

const INSTALL_DIR = '/kubeless'

function pythonSitePackages(runtime: Runtime): string {
  const version = runtime.replace('python3', '3.')
  return `${INSTALL_DIR}/lib/python${version}/site-packages`
}

/** The runtime a Function asks for; an unset runtime is the seed's default (the webhook normally fills it in). */
export function requestedRuntime(fn: Function): string {
  return fn.spec.runtime || DEFAULT_RUNTIME
}

/** The profile of a runtime name, or undefined for a runtime this controller cannot build. */
export function runtimeProfile(name: string): RuntimeProfile | undefined {
  if (!(RUNTIMES as readonly string[]).includes(name)) return undefined
  const runtime = name as Runtime
  if (runtime.startsWith('nodejs')) {
    return {
      runtime,
      language: 'nodejs',
      sourceFile: 'handler.js',
      dependenciesFile: 'package.json',
      env: [
        { name: 'FUNC_RUNTIME', value: runtime },
        { name: 'NODE_PATH', value: `${INSTALL_DIR}/node_modules` },
      ],
    }
  }
  return {
    runtime,
    language: 'python',
    sourceFile: 'handler.py',
    dependenciesFile: 'requirements.txt',
    env: [
      { name: 'FUNC_RUNTIME', value: runtime },
      { name: 'PYTHONPATH', value: `${pythonSitePackages(runtime)}:${INSTALL_DIR}` },
      { name: 'PYTHONUNBUFFERED', value: 'TRUE' },
    ],
  }
}

/** Dependencies as the build expects them: a Node build needs a package.json even when there are none. */
export function sanitizedDependencies(profile: RuntimeProfile, deps: string | undefined): string {
  const text = deps ?? ''
  if (profile.language === 'nodejs' && text.trim() === '') return '{}'
  return text
}
