import { prepareNodeRuntime, NodeRuntimeName } from '@kless/testkit/dist/node-runtime'
import { preparePythonRuntime, PythonRuntimeName } from '@kless/testkit/dist/python-runtime'
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

/** A runtime the CLI can serve and scaffold. Other languages add an entry to `RUNTIMES`. */
export interface RuntimeSupport {
  /** Files of which one must exist for a folder to be a function of this runtime. */
  handlerFiles: string[]
  /** What `kless init` writes. */
  starter: Record<string, string>
  launch(): Promise<Launch>
}

const nodeStarter = (runtime: string): Record<string, string> => ({
  'handler.js': `module.exports = {
  main: function (event, context) {
    const name = event.extensions.request.query.name || 'world'
    return \`Hello \${name} from \${context['function-name']} on \${context.runtime}!\`
  },
}
`,
  'package.json': `${JSON.stringify({ name: 'hello', version: '0.1.0', description: `A kless function for ${runtime}`, dependencies: {} }, null, 2)}\n`,
})

const NODE_HANDLER_FILES = ['handler.js', 'handler.mjs', 'handler.cjs']

function pinnedNode(runtime: NodeRuntimeName): RuntimeSupport {
  return {
    handlerFiles: NODE_HANDLER_FILES,
    starter: nodeStarter(runtime),
    async launch() {
      const prepared = await prepareNodeRuntime(runtime)
      return { command: prepared.node, args: prepared.args, env: { ...prepared.env, FUNC_RUNTIME: runtime }, description: `${runtime} on Node ${prepared.version}` }
    },
  }
}

const pythonStarter: Record<string, string> = {
  'handler.py': `def main(event, context):
    name = event["extensions"]["request"].query.get("name", "world")
    return "Hello {} from {} on {}!".format(name, context["function-name"], context["runtime"])
`,
  'requirements.txt': '',
}

function pinnedPython(runtime: PythonRuntimeName): RuntimeSupport {
  return {
    handlerFiles: ['handler.py'],
    starter: pythonStarter,
    async launch() {
      const prepared = await preparePythonRuntime(runtime)
      return { command: prepared.python, args: prepared.args, env: { ...prepared.env, FUNC_RUNTIME: runtime }, description: `${runtime} on Python ${prepared.version}` }
    },
  }
}

/** Runtime name (as in a Function's spec.runtime) → how to serve it. */
export const RUNTIMES: Record<string, RuntimeSupport> = {
  nodejs10: pinnedNode('nodejs10'),
  nodejs12: pinnedNode('nodejs12'),
  nodejs20: pinnedNode('nodejs20'),
  nodejs22: pinnedNode('nodejs22'),
  python38: pinnedPython('python38'),
  python312: pinnedPython('python312'),
}

/**
 * Without --runtime: the Node host on the machine's own Node, with the dependencies installed in this
 * checkout. Nothing to download, so it starts at once; FUNC_RUNTIME names the matching major version.
 */
const localRuntime = `nodejs${process.versions.node.split('.')[0]}`
export const LOCAL_NODE: RuntimeSupport = {
  handlerFiles: NODE_HANDLER_FILES,
  starter: nodeStarter(localRuntime),
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
