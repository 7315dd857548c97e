import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { get } from 'http'
import { tmpdir } from 'os'
import { join } from 'path'
import { freePort, start, Started, waitFor } from '../process'

export function answersV2(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${url}/v2/`, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on('error', () => resolve(false))
    request.setTimeout(1000, () => request.destroy())
  })
}

/** Distribution's config for a plain-HTTP registry on `address` storing under `storageDir`. */
export function registryConfig(address: string, storageDir: string): string {
  return ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${storageDir}`, '  delete:', '    enabled: true', 'http:', `  addr: ${address}`, ''].join('\n')
}

/**
 * Debian's docker-registry (Distribution) on a free loopback port, plain HTTP, its storage in a temporary folder that
 * goes with it. Builds push to it and containerd pulls from it, as a cluster's internal registry is used.
 */
export class LoopbackRegistry {
  private constructor(readonly host: string, private readonly dir: string, private readonly daemon: Started) {}

  static async start(): Promise<LoopbackRegistry> {
    const port = await freePort()
    const host = `127.0.0.1:${port}`
    const dir = mkdtempSync(join(tmpdir(), 'kless-registry-'))
    const config = join(dir, 'config.yml')
    writeFileSync(config, registryConfig(host, join(dir, 'data')))
    const daemon = start('docker-registry', ['serve', config])
    let exitCode: number | null | undefined
    daemon.exited.then((code) => (exitCode = code))
    try {
      await waitFor(async () => exitCode !== undefined || answersV2(`http://${host}`), 20_000, () => `docker-registry to answer on ${host}`)
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
