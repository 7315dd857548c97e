import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { request as httpRequest, RequestOptions } from 'http'
import { request as httpsRequest } from 'https'
import { tmpdir } from 'os'
import { join } from 'path'
import { freePort, start, Started, waitFor } from '../process'
import { run } from './run'

/** The status a registry answers `path` with (0 when it does not answer): a liveness probe, so no TLS check. */
function registryStatus(url: string, path: string, timeoutMs: number, options: RequestOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(`${url}${path}`, { rejectUnauthorized: false, ...options }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('error', () => resolve(0))
    request.setTimeout(timeoutMs, () => request.destroy())
    request.end()
  })
}

/** True when a registry answers its API root: 200, or 401 from one that wants credentials. */
export async function answersV2(url: string): Promise<boolean> {
  return [200, 401].includes(await registryStatus(url, '/v2/', 1000))
}

/** True when the registry at `url` holds `ref` (`name:tag`). */
export async function holdsImage(url: string, ref: string): Promise<boolean> {
  const [name, tag] = ref.split(':')
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
  return (await registryStatus(url, `/v2/${name}/manifests/${tag}`, 5000, { method: 'HEAD', headers: { accept } })) === 200
}

export interface RegistrySecurity {
  /** PEM serving certificate and key for the registry's address: it then speaks HTTPS only. */
  tls?: { certPem: string; keyPem: string }
  /** The one user the registry lets in (htpasswd, bcrypt); without it, anyone may push. */
  user?: { username: string; password: string }
}

/** Distribution's config for a registry on `address` storing under `storageDir`; `files` holds its TLS and htpasswd files. */
export function registryConfig(address: string, storageDir: string, files?: { cert: string; key: string; htpasswd?: string }): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    ...(files ? ['  tls:', `    certificate: ${files.cert}`, `    key: ${files.key}`] : []),
    ...(files?.htpasswd ? ['auth:', '  htpasswd:', '    realm: kless-test', `    path: ${files.htpasswd}`] : []),
    '',
  ].join('\n')
}

/**
 * Debian's docker-registry (Distribution) on a free port of `address` (loopback by default), its storage in a
 * temporary folder that goes with it: plain HTTP, or HTTPS with one htpasswd user, as a user's own registry is.
 * Builds push to it and containerd pulls from it.
 */
export class LoopbackRegistry {
  private constructor(
    readonly host: string,
    private readonly dir: string,
    private readonly daemon: Started,
  ) {}

  static async start(options: RegistrySecurity & { address?: string } = {}): Promise<LoopbackRegistry> {
    const port = await freePort()
    const host = `${options.address ?? '127.0.0.1'}:${port}`
    const dir = mkdtempSync(join(tmpdir(), 'kless-registry-'))
    const config = join(dir, 'config.yml')
    let files: { cert: string; key: string; htpasswd?: string } | undefined
    if (options.tls) {
      files = { cert: join(dir, 'registry.crt'), key: join(dir, 'registry.key') }
      writeFileSync(files.cert, options.tls.certPem)
      writeFileSync(files.key, options.tls.keyPem, { mode: 0o600 })
      if (options.user) {
        files.htpasswd = join(dir, 'htpasswd')
        writeFileSync(files.htpasswd, await run('htpasswd', ['-Bbn', options.user.username, options.user.password]))
      }
    } else if (options.user) {
      throw new Error('a registry with a user needs TLS: Distribution sends credentials over HTTPS only')
    }
    writeFileSync(config, registryConfig(host, join(dir, 'data'), files))
    const daemon = start('docker-registry', ['serve', config])
    let exitCode: number | null | undefined
    daemon.exited.then((code) => (exitCode = code))
    const url = `${options.tls ? 'https' : 'http'}://${host}`
    try {
      await waitFor(
        async () => exitCode !== undefined || answersV2(url),
        20_000,
        () => `docker-registry to answer on ${host}`,
      )
      if (exitCode !== undefined) throw new Error(`docker-registry exited with ${exitCode} before answering on ${host}`)
    } catch (err) {
      await daemon.stop(1000)
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`${(err as Error).message}\n--- output ---\n${daemon.output()}`)
    }
    return new LoopbackRegistry(host, dir, daemon)
  }

  output(): string {
    return this.daemon.output()
  }

  async stop(): Promise<void> {
    await this.daemon.stop(3000)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
