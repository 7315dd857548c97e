import { RUNTIME_NAMES, runtimeInfo, runtimesOf, type RuntimeInfo } from '@kless/runtime-matrix'
import { prepareNodeRuntime } from '@kless/testkit/dist/node-runtime'
import { preparePythonRuntime } from '@kless/testkit/dist/python-runtime'
import { existsSync } from 'fs'
import { join } from 'path'

/** How to start a host process that serves one function folder. */
export interface Launch {
  command: string
  args: string[]
  /** Variables the runtime image would set; the CLI adds the function's own on top. */
  env: Record<string, string>
  /** Shown to the user, e.g. "nodejs12 on Node 12.22.12". */
  description: string
}

/** A runtime the CLI can serve and scaffold: one per runtime of the matrix. */
export interface RuntimeSupport {
  /** Files of which one must exist for a folder to be a function of this runtime. */
  handlerFiles: string[]
  /** What `kless init` writes. */
  starter: Record<string, string>
  launch(): Promise<Launch>
}

type Files = Pick<RuntimeInfo, 'handlerFile' | 'depsFile'>

const nodeStarter = (runtime: string, files: Files): Record<string, string> => ({
  [files.handlerFile]: `module.exports = {
  main: function (event, context) {
    const name = event.extensions.request.query.name || 'world'
    return \`Hello \${name} from \${context['function-name']} on \${context.runtime}!\`
  },
}
`,
  [files.depsFile]: `${JSON.stringify({ name: 'hello', version: '0.1.0', description: `A kless function for ${runtime}`, dependencies: {} }, null, 2)}\n`,
})

const NODE_HANDLER_FILES = ['handler.js', 'handler.mjs', 'handler.cjs']

function pinnedNode(runtime: string): RuntimeSupport {
  return {
    handlerFiles: NODE_HANDLER_FILES,
    starter: nodeStarter(runtime, runtimeInfo(runtime)),
    async launch() {
      const prepared = await prepareNodeRuntime(runtime)
      return { command: prepared.node, args: prepared.args, env: { ...prepared.env, FUNC_RUNTIME: runtime }, description: `${runtime} on Node ${prepared.version}` }
    },
  }
}

const pythonStarter = (runtime: string): Record<string, string> => ({
  [runtimeInfo(runtime).handlerFile]: `def main(event, context):
    name = event["extensions"]["request"].query.get("name", "world")
    return "Hello {} from {} on {}!".format(name, context["function-name"], context["runtime"])
`,
  [runtimeInfo(runtime).depsFile]: '',
})

function pinnedPython(runtime: string): RuntimeSupport {
  return {
    handlerFiles: [runtimeInfo(runtime).handlerFile],
    starter: pythonStarter(runtime),
    async launch() {
      const prepared = await preparePythonRuntime(runtime)
      return { command: prepared.python, args: prepared.args, env: { ...prepared.env, FUNC_RUNTIME: runtime }, description: `${runtime} on Python ${prepared.version}` }
    },
  }
}

/** Runtime name (as in a Function's spec.runtime) → how to serve it, for every runtime of the matrix. */
export const RUNTIMES: Record<string, RuntimeSupport> = Object.fromEntries(
  RUNTIME_NAMES.map((runtime) => [runtime, runtimeInfo(runtime).language === 'nodejs' ? pinnedNode(runtime) : pinnedPython(runtime)]),
)

/**
 * Without --runtime: the Node host on the machine's own Node, with the dependencies installed in this
 * checkout. Nothing to download, so it starts at once; FUNC_RUNTIME names the matching major version.
 */
const localRuntime = `nodejs${process.versions.node.split('.')[0]}`
export const LOCAL_NODE: RuntimeSupport = {
  handlerFiles: NODE_HANDLER_FILES,
  // The local Node need not be a runtime of the matrix; its files are those every Node runtime uses.
  starter: nodeStarter(localRuntime, runtimeInfo(runtimesOf('nodejs')[0])),
  async launch() {
    const host = require.resolve('@kless/node-host')
    if (!existsSync(host)) throw new Error(`the Node host is not built (${host}); run \`npm run build\``)
    return { command: process.execPath, args: [host], env: { FUNC_RUNTIME: localRuntime }, description: `the local Node ${process.versions.node}` }
  },
}

export function runtimeSupport(name: string | undefined): RuntimeSupport {
  if (name === undefined) return LOCAL_NODE
  const found = RUNTIMES[name]
  if (!found) throw new Error(`unknown runtime "${name}"; choose one of ${Object.keys(RUNTIMES).join(', ')}`)
  return found
}

/** The handler file a folder holds for this runtime, or an error saying what is missing. */
export function findHandler(dir: string, support: RuntimeSupport): string {
  const found = support.handlerFiles.find((file) => existsSync(join(dir, file)))
  if (!found) throw new Error(`${dir} holds no ${support.handlerFiles.join(' or ')}; create one with \`kless init ${dir}\``)
  return found
}
