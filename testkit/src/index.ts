export {
  cacheDir,
  cacheKey,
  cacheRoot,
  withLock,
  functionEnv,
  prepareNodeRuntime,
  nodeBinary,
  NODE_VERSIONS,
  NodeRuntime,
  NodeRuntimeName,
  preparePythonRuntime,
  pythonFunctionEnv,
  pythonInterpreter,
  PYTHON_VERSIONS,
  PythonRuntime,
  PythonRuntimeName,
} from '@kless/runtime-staging'
export { goInstall } from './go'
export { freePort, start, waitFor, Started } from './process'
export { Answer, CallOptions, httpCall } from './http'
export * from './cluster'
export { helmBinary, pythonTool, verminTool, HELM, VERMIN_VERSION } from './tools'
export { prepareAll } from './prepare'
export * from './images'
