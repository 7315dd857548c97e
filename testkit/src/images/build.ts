import { createHash } from 'crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'fs'
import { join, relative } from 'path'
import { Buildah } from './buildah'
import { BuildMode, ensureStandIn, notBuilt } from './bases'
import { ImageSpec, platformImages, REPO_ROOT } from './catalog'
import { dockerfileInputs } from './dockerfile'

export interface BuiltImage {
  ref: string
  /** The tag every build from the same inputs gets: `localhost/kless-inputs/<name>:<input hash>`. */
  keyed: string
  id: string
  bytes: number
  /** Seconds the build took; 0 when an image built from the same inputs was already there. */
  seconds: number
}

/** Folders a COPY of a whole directory never takes (mirrors .dockerignore). */
const IGNORED = new Set(['node_modules', '__pycache__', '.git', '.tap', 'coverage'])

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`)
}

/** Context files a COPY source names, repository-relative and sorted; a `*` matches within one path segment. */
function contextFiles(source: string): string[] {
  const walk = (path: string): string[] => {
    if (!existsSync(path)) return []
    if (!statSync(path).isDirectory()) return [relative(REPO_ROOT, path)]
    return readdirSync(path)
      .filter((name) => !IGNORED.has(name) && !name.endsWith('.pyc') && !name.endsWith('.tsbuildinfo') && !(name === 'dist' && !path.includes('node-host')))
      .sort()
      .flatMap((name) => walk(join(path, name)))
  }
  if (!source.includes('*')) {
    const found = walk(join(REPO_ROOT, source))
    if (found.length === 0) throw new Error(`the Dockerfile copies ${source}, which is not in the repository (run \`npm run build\` first for dist/)`)
    return found
  }
  const dir = join(REPO_ROOT, source.slice(0, source.lastIndexOf('/')))
  const pattern = globToRegExp(source.slice(source.lastIndexOf('/') + 1))
  const found = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => pattern.test(name))
        .sort()
        .map((name) => relative(REPO_ROOT, join(dir, name)))
    : []
  if (found.length === 0) throw new Error(`the Dockerfile copies ${source}, which matches nothing (run \`npm run build\` first for dist/)`)
  return found
}

/** A hash of everything that goes into an image: Dockerfile, arguments, base image IDs and every copied file. */
function inputHash(spec: ImageSpec, baseIds: string[]): string {
  const text = readFileSync(join(REPO_ROOT, spec.dockerfile), 'utf8')
  const hash = createHash('sha256').update(text).update(JSON.stringify(spec.buildArgs)).update(baseIds.join(','))
  for (const source of dockerfileInputs(text, spec.buildArgs).sources) {
    for (const file of contextFiles(source)) hash.update(`\0${file}\0`).update(readFileSync(join(REPO_ROOT, file)))
  }
  return hash.digest('hex').slice(0, 20)
}

/**
 * Builds one platform image with buildah unless an image from the same inputs exists. Base images come from buildah's
 * storage: stand-ins (see bases.ts) when `standIns` is set, as on machines that cannot pull, else whatever is there.
 */
export async function buildImage(buildah: Buildah, spec: ImageSpec, options: ImageBuildOptions): Promise<BuiltImage> {
  const { bases } = dockerfileInputs(readFileSync(join(REPO_ROOT, spec.dockerfile), 'utf8'), spec.buildArgs)
  // Without stand-ins the bases are pulled from their registries when missing; their names key the build then.
  const baseIds = options.standIns ? await Promise.all(bases.map((base) => ensureStandIn(buildah, base, options))) : bases
  const keyed = `localhost/kless-inputs/${spec.ref.split(':')[0].replace(/\//g, '-')}:${inputHash(spec, baseIds)}`
  let seconds = 0
  if (!(await buildah.hasImage(keyed))) {
    if (options.readOnly) throw new Error(notBuilt(`the image ${spec.ref}`))
    options.log?.(`building ${spec.ref}`)
    const started = Date.now()
    await buildah.build({ dockerfile: join(REPO_ROOT, spec.dockerfile), context: REPO_ROOT, tags: [keyed], buildArgs: spec.buildArgs, pull: !options.standIns })
    seconds = (Date.now() - started) / 1000
  }
  await buildah.tag(keyed, `localhost/${spec.ref}`, `docker.io/${spec.ref}`)
  return { ref: spec.ref, keyed, id: await buildah.imageId(keyed), bytes: await buildah.size(keyed), seconds }
}

/** Every platform image (or the ones whose ref starts with one of `only`), in catalogue order. */
export interface ImageBuildOptions extends BuildMode {
  /** Build the upstream bases as local stand-ins (machines that cannot pull), instead of using what buildah has. */
  standIns: boolean
}

/** The built image of `ref` (a catalogue entry) for the current inputs; throws when the bootstrap has not built it. */
export async function builtImage(buildah: Buildah, ref: string): Promise<BuiltImage> {
  const spec = platformImages().find((candidate) => candidate.ref === ref || candidate.ref.split(':')[0] === ref)
  if (!spec)
    throw new Error(
      `no platform image ${ref}; the catalogue has ${platformImages()
        .map((candidate) => candidate.ref)
        .join(', ')}`,
    )
  return buildImage(buildah, spec, { standIns: true, readOnly: true })
}

export async function buildPlatformImages(options: ImageBuildOptions & { only?: string[] }): Promise<BuiltImage[]> {
  const buildah = new Buildah()
  const wanted = platformImages().filter((spec) => !options.only?.length || options.only.some((prefix) => spec.ref.startsWith(prefix)))
  const built: BuiltImage[] = []
  for (const spec of wanted) built.push(await buildImage(buildah, spec, options))
  return built
}
