/**
 * The webhook's own certificate authority and serving certificate. The API server only calls webhooks over
 * TLS and checks the serving certificate against the caBundle in the webhook configuration, so the webhook makes
 * both itself when none is mounted.
 */
import { isIP } from 'net'
import { generateKeyPairSync, randomBytes } from 'crypto'
import forge from 'node-forge'

/** PEM-encoded; the keys of the Secret that stores it. */
export interface CertificateBundle {
  'ca.crt': string
  'ca.key': string
  'tls.crt': string
  'tls.key': string
}

export const BUNDLE_KEYS = ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'] as const

const DAY_MS = 24 * 60 * 60 * 1000
const CA_VALIDITY_DAYS = 3650
const SERVING_VALIDITY_DAYS = 365
/** A certificate this close to expiry is replaced, so a restart or the periodic check renews it in time. */
export const RENEW_BEFORE_DAYS = 30

function newCertificate(subjectCN: string, publicKey: forge.pki.PublicKey, now: Date, validityDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  // A positive serial: the top bit of the first byte cleared.
  cert.serialNumber = `0${randomBytes(16).toString('hex')}`.replace(/^0[89a-f]/, '01')
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000)
  cert.validity.notAfter = new Date(now.getTime() + validityDays * DAY_MS)
  cert.setSubject([{ name: 'commonName', value: subjectCN }])
  return cert
}

/**
 * An RSA key pair from OpenSSL, in forge's form for signing: forge's own generator, in JavaScript, takes about a
 * second per key, and one run of the suite under load served a leaf its CA's key did not verify.
 */
function rsaKeyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) }
}

/** A fresh CA and a serving certificate it signs, valid for every name and IP address in `hosts`. */
export function generateCertificates(hosts: string[], now = new Date()): CertificateBundle {
  const caKeys = rsaKeyPair()
  const ca = newCertificate('kless-webhook-ca', caKeys.publicKey, now, CA_VALIDITY_DAYS)
  ca.setIssuer(ca.subject.attributes)
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  ca.sign(caKeys.privateKey, forge.md.sha256.create())

  const servingKeys = rsaKeyPair()
  const serving = newCertificate(hosts[0], servingKeys.publicKey, now, SERVING_VALIDITY_DAYS)
  serving.setIssuer(ca.subject.attributes)
  serving.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })) },
  ])
  serving.sign(caKeys.privateKey, forge.md.sha256.create())

  return {
    'ca.crt': forge.pki.certificateToPem(ca),
    'ca.key': forge.pki.privateKeyToPem(caKeys.privateKey),
    'tls.crt': forge.pki.certificateToPem(serving),
    'tls.key': forge.pki.privateKeyToPem(servingKeys.privateKey),
  }
}

function altNamesOf(cert: forge.pki.Certificate): Set<string> {
  const extension = cert.getExtension('subjectAltName') as { altNames?: { type: number; value?: string; ip?: string }[] } | undefined
  return new Set((extension?.altNames ?? []).map((name) => (name.type === 7 ? (name.ip ?? '') : (name.value ?? ''))))
}

/**
 * Why a stored bundle cannot serve `hosts` any more (unparseable, not signed by its CA, a key that does not
 * match, a host not covered, or expiring within RENEW_BEFORE_DAYS), or undefined when it can.
 */
export function bundleProblem(bundle: Partial<CertificateBundle>, hosts: string[], now = new Date()): string | undefined {
  const missing = BUNDLE_KEYS.filter((key) => !bundle[key])
  if (missing.length > 0) return `missing ${missing.join(', ')}`
  let ca: forge.pki.Certificate
  let serving: forge.pki.Certificate
  let servingKey: forge.pki.rsa.PrivateKey
  try {
    ca = forge.pki.certificateFromPem(bundle['ca.crt'] as string)
    serving = forge.pki.certificateFromPem(bundle['tls.crt'] as string)
    servingKey = forge.pki.privateKeyFromPem(bundle['tls.key'] as string) as forge.pki.rsa.PrivateKey
    forge.pki.privateKeyFromPem(bundle['ca.key'] as string)
  } catch (error) {
    return `not readable PEM: ${(error as Error).message}`
  }
  try {
    if (!ca.verify(serving)) return 'the serving certificate is not signed by the CA'
  } catch {
    return 'the serving certificate is not signed by the CA'
  }
  const publicKey = serving.publicKey as forge.pki.rsa.PublicKey
  if (publicKey.n.compareTo(servingKey.n) !== 0) return 'tls.key does not belong to tls.crt'
  const covered = altNamesOf(serving)
  const uncovered = hosts.filter((host) => !covered.has(host))
  if (uncovered.length > 0) return `the serving certificate does not cover ${uncovered.join(', ')}`
  const renewAt = now.getTime() + RENEW_BEFORE_DAYS * DAY_MS
  for (const [name, cert] of [
    ['CA', ca],
    ['serving certificate', serving],
  ] as const) {
    if (cert.validity.notAfter.getTime() < renewAt) return `the ${name} expires ${cert.validity.notAfter.toISOString()}`
  }
  return undefined
}
