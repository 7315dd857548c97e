import { generateKeyPairSync, randomBytes } from 'crypto'
import { isIP } from 'net'
import * as forge from 'node-forge'

export interface KeyPair {
  keyPem: string
  publicKeyPem: string
}

export interface Certificate {
  certPem: string
  keyPem: string
}

export interface CertificateRequest {
  commonName: string
  organizations?: string[]
  /** IP addresses and DNS names the certificate is valid for; makes it a serving certificate. */
  hosts?: string[]
  client?: boolean
  validDays?: number
}

/** RSA keys come from Node's native generator: node-forge's pure-JS one takes seconds per key. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

function newCertificate(subjectName: forge.pki.CertificateField[], publicKeyPem: string, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem)
  // A positive serial: the leading byte is masked so the DER integer is never read as negative.
  cert.serialNumber = (randomBytes(16)[0] & 0x7f).toString(16).padStart(2, '0') + randomBytes(15).toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000)
  cert.validity.notAfter = new Date(Date.now() + validDays * 24 * 60 * 60 * 1000)
  cert.setSubject(subjectName)
  return cert
}

export class CertificateAuthority {
  private constructor(
    readonly certPem: string,
    private readonly keyPem: string,
  ) {}

  static create(commonName: string, validDays = 3650): CertificateAuthority {
    const keys = generateKeyPair()
    const name = [{ name: 'commonName', value: commonName }]
    const cert = newCertificate(name, keys.publicKeyPem, validDays)
    cert.setIssuer(name)
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ])
    cert.sign(forge.pki.privateKeyFromPem(keys.keyPem), forge.md.sha256.create())
    return new CertificateAuthority(forge.pki.certificateToPem(cert), keys.keyPem)
  }

  /** Issues a certificate signed by this CA: a serving certificate when `hosts` is set, a client one when `client` is. */
  issue(request: CertificateRequest): Certificate {
    const { commonName, organizations = [], hosts = [], client = false, validDays = 3650 } = request
    if (!client && hosts.length === 0) throw new Error(`certificate for ${commonName} needs hosts (serving) or client: true`)
    const keys = generateKeyPair()
    const subject = [{ name: 'commonName', value: commonName }, ...organizations.map((value) => ({ name: 'organizationName', value }))]
    const cert = newCertificate(subject, keys.publicKeyPem, validDays)
    const caCert = forge.pki.certificateFromPem(this.certPem)
    cert.setIssuer(caCert.subject.attributes)
    const extensions: object[] = [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: hosts.length > 0, clientAuth: client },
    ]
    if (hosts.length > 0) {
      extensions.push({
        name: 'subjectAltName',
        altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })),
      })
    }
    cert.setExtensions(extensions)
    cert.sign(forge.pki.privateKeyFromPem(this.keyPem), forge.md.sha256.create())
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem }
  }
}
