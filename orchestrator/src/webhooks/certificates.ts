/**
 * Keeps the webhook's certificates and its webhook configurations in step: the bundle lives in a Secret (so
 * replicas and restarts share it), is regenerated when it is missing, broken or about to expire, and its CA is
 * written into the caBundle of every webhook in the Mutating/ValidatingWebhookConfiguration.
 */
import { existsSync, readFileSync } from 'fs'
import { join } from 'path'
import type { AdmissionregistrationV1Api, CoreV1Api, V1Secret } from '@kubernetes/client-node'
import { BUNDLE_KEYS, bundleProblem, generateCertificates, type CertificateBundle } from './tls.js'
import type { Log } from '../log.js'

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code
}

function bundleFromSecret(secret: V1Secret | undefined): Partial<CertificateBundle> {
  const data = secret?.data ?? {}
  return Object.fromEntries(BUNDLE_KEYS.filter((key) => data[key]).map((key) => [key, Buffer.from(data[key], 'base64').toString('utf8')]))
}

export interface CertificateSource {
  /** The bundle to serve with now, after regenerating and storing it if the stored one is unusable. */
  current(): Promise<CertificateBundle | MountedCertificates>
}

/** Certificates an operator mounted (for example from cert-manager); the webhook only reads them. */
export interface MountedCertificates {
  'ca.crt'?: string
  'tls.crt': string
  'tls.key': string
}

export function mountedCertificates(certDir: string): CertificateSource {
  return {
    async current() {
      const read = (name: string) => readFileSync(join(certDir, name), 'utf8')
      for (const name of ['tls.crt', 'tls.key']) {
        if (!existsSync(join(certDir, name))) throw new Error(`WEBHOOK_CERT_DIR ${certDir} has no ${name}`)
      }
      return { 'tls.crt': read('tls.crt'), 'tls.key': read('tls.key'), ...(existsSync(join(certDir, 'ca.crt')) ? { 'ca.crt': read('ca.crt') } : {}) }
    },
  }
}

export function secretCertificates(core: CoreV1Api, namespace: string, name: string, hosts: string[], log: Log): CertificateSource {
  const read = async (): Promise<V1Secret | undefined> => {
    try {
      return await core.readNamespacedSecret({ name, namespace })
    } catch (error) {
      if (statusCode(error) === 404) return undefined
      throw error
    }
  }
  const current = async (attempt = 0): Promise<CertificateBundle> => {
    const secret = await read()
    const stored = bundleFromSecret(secret)
    const problem = bundleProblem(stored, hosts)
    if (!problem) return stored as CertificateBundle
    log.info('generating webhook certificates', { secret: `${namespace}/${name}`, because: secret ? problem : 'the Secret does not exist' })
    const bundle = generateCertificates(hosts)
    const data = Object.fromEntries(BUNDLE_KEYS.map((key) => [key, Buffer.from(bundle[key]).toString('base64')]))
    try {
      if (secret) {
        await core.replaceNamespacedSecret({ name, namespace, body: { ...secret, data: { ...secret.data, ...data } } })
      } else {
        await core.createNamespacedSecret({ namespace, body: { metadata: { name, namespace }, type: 'Opaque', data } })
      }
    } catch (error) {
      // Another replica stored its bundle first: use that one, so every replica serves the same CA.
      if ((statusCode(error) === 409 || statusCode(error) === 422) && attempt < 3) return current(attempt + 1)
      throw error
    }
    return bundle
  }
  return { current: () => current() }
}

/**
 * Writes `caPem` into the caBundle of every webhook of the two configurations whose caBundle differs.
 * Returns the configurations that do not exist (yet); they are retried on the next round.
 */
export async function patchCaBundles(
  admission: AdmissionregistrationV1Api,
  names: { mutating: string; validating: string },
  caPem: string,
  log: Log,
): Promise<string[]> {
  const caBundle = Buffer.from(caPem).toString('base64')
  const missing: string[] = []
  const kinds = [
    {
      kind: 'MutatingWebhookConfiguration',
      name: names.mutating,
      read: () => admission.readMutatingWebhookConfiguration({ name: names.mutating }),
      replace: (body: object) => admission.replaceMutatingWebhookConfiguration({ name: names.mutating, body }),
    },
    {
      kind: 'ValidatingWebhookConfiguration',
      name: names.validating,
      read: () => admission.readValidatingWebhookConfiguration({ name: names.validating }),
      replace: (body: object) => admission.replaceValidatingWebhookConfiguration({ name: names.validating, body }),
    },
  ]
  for (const { kind, name, read, replace } of kinds) {
    for (let attempt = 0; ; attempt++) {
      try {
        const configuration = await read()
        const webhooks = configuration.webhooks ?? []
        if (webhooks.every((webhook) => webhook.clientConfig.caBundle === caBundle)) break
        for (const webhook of webhooks) webhook.clientConfig.caBundle = caBundle
        await replace(configuration)
        log.info('patched caBundle', { kind, name, webhooks: webhooks.map((webhook) => webhook.name) })
        break
      } catch (error) {
        if (statusCode(error) === 404) {
          missing.push(`${kind} ${name}`)
          break
        }
        if (statusCode(error) !== 409 || attempt >= 3) throw error
      }
    }
  }
  return missing
}
