import { API_VERSION, type Function, type FunctionSpec } from '../src/api/types.js'
import { loadKanikoTemplates } from '../src/resources/kaniko.js'
import { runtimeProfile, type RuntimeProfile } from '../src/resources/runtime.js'

/** A Function as the API server returns it (namespace and uid set), with spec overrides. */
export function makeFunction(spec: Partial<FunctionSpec> = {}, metadata: Partial<Function['metadata']> = {}): Function {
  return {
    apiVersion: API_VERSION,
    kind: 'Function',
    metadata: { name: 'hello', namespace: 'demo', uid: '0b5e6c1a-3f0e-4c55-9a43-2d6f1f0e9a11', generation: 1, ...metadata },
    spec: { source: 'module.exports = { main: () => "hi" }', runtime: 'nodejs12', ...spec },
  }
}

export function profileOf(runtime: string): RuntimeProfile {
  const profile = runtimeProfile(runtime)
  if (!profile) throw new Error(`no profile for ${runtime}`)
  return profile
}

export const templates = loadKanikoTemplates()
