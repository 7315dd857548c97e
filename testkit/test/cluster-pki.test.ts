import { X509Certificate } from 'crypto'
import t from 'tap'
import { pinnedVersions } from '../src/cluster/binaries'
import { CertificateAuthority } from '../src/cluster/pki'

t.test('a serving certificate is valid for its hosts and signed by the CA', async (t) => {
  const ca = CertificateAuthority.create('test-ca')
  const serving = ca.issue({ commonName: 'webhook', hosts: ['127.0.0.1', 'localhost'] })
  const cert = new X509Certificate(serving.certPem)
  const caCert = new X509Certificate(ca.certPem)
  t.ok(cert.verify(caCert.publicKey), 'signed by the CA')
  t.ok(cert.checkIssued(caCert), 'issued by the CA')
  t.equal(cert.checkIP('127.0.0.1'), '127.0.0.1')
  t.equal(cert.checkHost('localhost'), 'localhost')
  t.equal(cert.checkHost('example.test'), undefined)
  t.ok(caCert.ca, 'the CA certificate is a CA')
  t.notOk(cert.ca, 'the serving certificate is not')
})

t.test('a client certificate carries its groups as organizations', async (t) => {
  const client = CertificateAuthority.create('test-ca').issue({ commonName: 'admin', organizations: ['system:masters'], client: true })
  t.match(new X509Certificate(client.certPem).subject, /CN=admin/)
  t.match(new X509Certificate(client.certPem).subject, /O=system:masters/)
})

t.test('a certificate that is neither serving nor client is refused', async (t) => {
  t.throws(() => CertificateAuthority.create('test-ca').issue({ commonName: 'nothing' }), /needs hosts \(serving\) or client: true/)
})

t.test('pinned versions come from the wrapper go.mod', async (t) => {
  t.same(pinnedVersions('require (\n\tgo.etcd.io/etcd/server/v3 v3.6.4\n\tk8s.io/kubernetes v1.34.4\n)\n'), { kubernetes: 'v1.34.4', etcd: 'v3.6.4' })
  t.throws(() => pinnedVersions('module x\n'), /does not require k8s\.io\/kubernetes/)
  t.match(pinnedVersions().kubernetes, /^v1\.\d+\.\d+$/)
})
