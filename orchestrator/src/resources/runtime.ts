import type { V1EnvVar } from '@kubernetes/client-node'
import { isRuntimeName, runtimeInfo, type Language } from '@kless/runtime-matrix'
import { DEFAULT_RUNTIME, type Function, type Runtime } from '../api/types.js'

/** What the build and the Deployment need to know about one runtime. */
export interface RuntimeProfile {
  runtime: Runtime
  language: Language
  /** File names of the source and dependencies inside the build context (and in /kubeless in the image). */
  sourceFile: string
  dependenciesFile: string
  /** Environment the function host needs to find the code and its installed dependencies. */
  env: V1EnvVar[]
}

const INSTALL_DIR = '/kubeless'

/** The runtime a Function asks for; an unset runtime is the seed's default (the webhook normally fills it in). */
export function requestedRuntime(fn: Function): string {
  return fn.spec.runtime || DEFAULT_RUNTIME
}

/** The profile of a runtime name, or undefined for a runtime this controller cannot build. */
export function runtimeProfile(name: string): RuntimeProfile | undefined {
  if (!isRuntimeName(name)) return undefined
  const { language, version, handlerFile, depsFile } = runtimeInfo(name)
  const searchPath: V1EnvVar =
    language === 'nodejs'
      ? { name: 'NODE_PATH', value: `${INSTALL_DIR}/node_modules` }
      : { name: 'PYTHONPATH', value: `${INSTALL_DIR}/lib/python${version.split('.').slice(0, 2).join('.')}/site-packages:${INSTALL_DIR}` }
  return {
    runtime: name,
    language,
    sourceFile: handlerFile,
    dependenciesFile: depsFile,
    env: [{ name: 'FUNC_RUNTIME', value: name }, searchPath],
  }
}

/** Dependencies as the build expects them: a Node build needs a package.json even when there are none. */
export function sanitizedDependencies(profile: RuntimeProfile, deps: string | undefined): string {
  const text = deps ?? ''
  if (profile.language === 'nodejs' && text.trim() === '') return '{}'
  return text
}
