import { existsSync, readFileSync } from 'fs'
import Module from 'module'
import { join } from 'path'
import { pathToFileURL } from 'url'
import { HostConfig } from './config'

export type FunctionHandler = (event: unknown, context: unknown) => unknown

export type LoadedFunction = { handler: FunctionHandler; error?: undefined } | { handler?: undefined; error: Error }

/**
 * Makes the function's dependencies resolvable the way the 1.x images did: its own node_modules first, then
 * the host's own packages (express, prom-client, …), which functions of that era could require without
 * declaring them. Node reads NODE_PATH only at start, hence the re-initialisation.
 */
function extendModulePaths(config: HostConfig): void {
  // The folders Node searches for the host's own packages, already computed: no file system lookups.
  const hostModules = module.paths
  const entries = [join(config.functionDir, 'node_modules'), ...(process.env.NODE_PATH || '').split(':').filter(Boolean), ...hostModules]
  process.env.NODE_PATH = Array.from(new Set(entries)).join(':')
  ;(Module as unknown as { _initPaths(): void })._initPaths()
}

function isModulePackage(functionDir: string): boolean {
  const manifest = join(functionDir, 'package.json')
  if (!existsSync(manifest)) return false
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module'
  } catch {
    return false
  }
}

// TypeScript would compile a literal import() down to require(); this keeps a real dynamic import, which
// Node 10 refuses and Node 12.17+ runs without flags.
function dynamicImport(url: string): Promise<Record<string, unknown>> {
  let importer: (specifier: string) => Promise<Record<string, unknown>>
  try {
    importer = new Function('specifier', 'return import(specifier)') as typeof importer
  } catch {
    return Promise.reject(new Error(`ES-module handlers need Node 12.17 or newer; this is Node ${process.versions.node}`))
  }
  return importer(url).catch((err: Error) => {
    if (/not supported|experimental-modules/i.test(String(err && err.message))) {
      throw new Error(`ES-module handlers need Node 12.17 or newer; this is Node ${process.versions.node}`)
    }
    throw err
  })
}

function pickHandler(exported: Record<string, unknown> | undefined, file: string, config: HostConfig): FunctionHandler {
  const named = exported && exported[config.handlerName]
  const fromDefault = exported && (exported.default as Record<string, unknown> | undefined)
  const handler = typeof named === 'function' ? named : fromDefault && typeof fromDefault === 'object' ? fromDefault[config.handlerName] : undefined
  if (typeof handler !== 'function') {
    throw new Error(`${file} does not export a function named "${config.handlerName}" (FUNC_HANDLER)`)
  }
  return handler as FunctionHandler
}

/** Loads the function module once. A failure is kept and reported on every call, as the 1.x runtimes did. */
export async function loadFunction(config: HostConfig): Promise<LoadedFunction> {
  extendModulePaths(config)
  const base = join(config.functionDir, config.moduleName)
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((candidate) => existsSync(candidate))
  try {
    if (!file) throw new Error(`no ${config.moduleName}.js, .mjs or .cjs in ${config.functionDir} (KUBELESS_INSTALL_VOLUME, MOD_NAME)`)
    const esm = file.endsWith('.mjs') || (file.endsWith('.js') && isModulePackage(config.functionDir))
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the function is CommonJS, loaded at run time
    const exported = esm ? await dynamicImport(pathToFileURL(file).href) : (require(file) as Record<string, unknown>)
    return { handler: pickHandler(exported, file, config) }
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(`the function module threw a non-error: ${String(err)}`) }
  }
}
