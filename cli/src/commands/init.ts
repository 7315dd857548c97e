/** `kless init`: a new function folder in the Kyma CLI layout, for any runtime of the matrix, inline or from Git. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { RUNTIME_NAMES, runtimeInfo } from '@kless/runtime-matrix'
import { UsageError } from '../usage.js'
import { CONFIG_FILE, nameFromFolder, toYaml, type WorkspaceConfig } from '../workspace.js'

export interface InitOptions {
  runtime: string
  name?: string
  namespace?: string
  source: 'inline' | 'git'
  url?: string
  reference?: string
  baseDir?: string
}

const NODE_HANDLER = `module.exports = {
  main: function (event, context) {
    const name = event.extensions.request.query.name || 'world'
    return \`Hello \${name} from \${context['function-name']} on \${context.runtime}!\`
  },
}
`

const PYTHON_HANDLER = `def main(event, context):
    name = event["extensions"]["request"].query.get("name", "world")
    return "Hello {} from {} on {}!".format(name, context["function-name"], context["runtime"])
`

function starterFiles(runtime: string, name: string): Record<string, string> {
  const { language, handlerFile, depsFile } = runtimeInfo(runtime)
  if (language === 'python') return { [handlerFile]: PYTHON_HANDLER, [depsFile]: '' }
  const manifest = { name, version: '0.1.0', description: `A kless function for ${runtime}`, dependencies: {} }
  return { [handlerFile]: NODE_HANDLER, [depsFile]: `${JSON.stringify(manifest, null, 2)}\n` }
}

/** Writes the folder; returns what to print, every next step as it works when typed. */
export function init(dirArgument: string, options: InitOptions): string {
  if (!RUNTIME_NAMES.includes(options.runtime)) throw new UsageError(`unknown runtime "${options.runtime}"; choose one of ${RUNTIME_NAMES.join(', ')}`)
  if (options.source === 'git' && !options.url) throw new UsageError('--source git needs --url, the repository to build from')
  const dir = resolve(dirArgument)
  const name = options.name ?? nameFromFolder(dir)
  const config: WorkspaceConfig = {
    name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    runtime: options.runtime,
    source:
      options.source === 'git'
        ? { sourceType: 'git', url: options.url as string, reference: options.reference ?? 'main', baseDir: options.baseDir ?? '/' }
        : { sourceType: 'inline' },
  }
  const files = { [CONFIG_FILE]: toYaml(config), ...(options.source === 'inline' ? starterFiles(options.runtime, name) : {}) }
  const existing = Object.keys(files).filter((file) => existsSync(join(dir, file)))
  if (existing.length > 0) throw new Error(`${dirArgument} already has ${existing.join(', ')}; not overwriting`)
  mkdirSync(dir, { recursive: true })
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
  const shown = relative(process.cwd(), dir) || '.'
  const configPath = join(shown, CONFIG_FILE)
  const next =
    options.source === 'inline'
      ? [`serve it here:     kless run ${shown}`, `deploy it:         kless deploy --filename ${configPath}`]
      : [`deploy it:         kless deploy --filename ${configPath}`]
  return [`kless: wrote ${Object.keys(files).join(', ')} to ${shown}`, ...next.map((line) => `  ${line}`)].join('\n')
}
