import { createHash } from 'crypto'
import { mkdirSync, readFileSync } from 'fs'
import { tmpdir } from 'os'
import { basename, join } from 'path'
import { cacheDir, cacheKey } from '@kless/runtime-staging'
import { run } from './run'

/**
 * buildah on storage of its own inside the kless cache, so built images and their layers survive between runs and
 * never mix with anything else on the machine. Builds run with chroot isolation, which needs no daemon.
 */
export class Buildah {
  readonly root = cacheDir('buildah', 'storage')
  // Runtime state belongs to one storage: a second cache (KLESS_CACHE) gets its own.
  readonly runRoot = join(tmpdir(), `kless-buildah-run-${createHash('sha256').update(this.root).digest('hex').slice(0, 12)}`)

  constructor() {
    mkdirSync(this.runRoot, { recursive: true })
  }

  /** Runs `buildah <args>` on this storage and returns its stdout. */
  run(args: string[], what?: string): Promise<string> {
    return run('buildah', ['--root', this.root, '--runroot', this.runRoot, '--storage-driver', 'overlay', ...args], { what })
  }

  async hasImage(ref: string): Promise<boolean> {
    return this.run(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]).then(
      () => true,
      () => false,
    )
  }

  async imageId(ref: string): Promise<string> {
    return (await this.run(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref])).trim()
  }

  /** `buildah build` of a Dockerfile; layers are cached, the result gets every tag in `tags`. */
  async build(options: {
    dockerfile: string
    context: string
    tags: string[]
    buildArgs?: Record<string, string>
    volumes?: string[]
    pull?: boolean
  }): Promise<void> {
    const args = ['build', '--isolation', 'chroot', '--layers', `--pull=${options.pull ? 'missing' : 'never'}`, '--quiet', '-f', options.dockerfile]
    for (const [key, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${key}=${value}`)
    for (const volume of options.volumes ?? []) args.push('--volume', volume)
    for (const tag of options.tags) args.push('--tag', tag)
    await this.run([...args, options.context], `building ${options.tags[0]} from ${options.dockerfile}`)
  }

  async tag(ref: string, ...tags: string[]): Promise<void> {
    await this.run(['tag', ref, ...tags])
  }

  /** Copies an image to any containers-transports destination: `docker://host:port/name:tag`, `oci-archive:file`. */
  async push(ref: string, destination: string, options: { tlsVerify?: boolean; credentials?: string } = {}): Promise<void> {
    const args = ['push', '--quiet', `--tls-verify=${options.tlsVerify ?? false}`]
    if (options.credentials) args.push('--creds', options.credentials)
    await this.run([...args, ref, destination], `pushing ${ref} to ${destination}`)
  }

  /**
   * An image holding one static binary at /<its name>, run as its entrypoint; built once per binary content and
   * tagged `ref`. Returns the content-keyed tag.
   */
  async fromStaticBinary(binary: string, ref: string): Promise<string> {
    const name = basename(binary)
    const keyed = `localhost/kless-binaries/${name}:${cacheKey(readFileSync(binary))}`
    if (!(await this.hasImage(keyed))) {
      const container = (await this.run(['from', 'scratch'])).trim()
      try {
        await this.run(['copy', '--chmod', '0755', container, binary, `/${name}`])
        await this.run(['config', '--entrypoint', JSON.stringify([`/${name}`]), '--user', '65532:65532', container])
        await this.run(['commit', '--quiet', container, keyed])
      } finally {
        await this.run(['rm', container]).catch(() => undefined)
      }
    }
    await this.tag(keyed, ref)
    return keyed
  }

  /** Bytes of an image as stored (its layers, uncompressed), to the precision buildah reports it ("220 MB"). */
  async size(ref: string): Promise<number> {
    const [image] = JSON.parse(await this.run(['images', '--json', ref])) as Array<{ size: string }>
    return parseHumanSize(image.size)
  }
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }

/** "220 MB" → 220000000: buildah prints sizes in decimal units. */
export function parseHumanSize(text: string): number {
  const match = /^([\d.]+)\s*([kKMGT]?B)$/.exec(text.trim())
  if (!match) throw new Error(`unreadable image size "${text}"`)
  return Math.round(Number(match[1]) * UNITS[match[2]])
}
