/** Wires the webhook process: certificates, the HTTPS server, and the loop that keeps both in step with the cluster. */
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node'
import { mountedCertificates, patchCaBundles, secretCertificates } from './certificates.js'
import type { Log } from '../log.js'
import type { WebhookServerOptions } from './options.js'
import { startWebhookServer, webhookRoutes, type WebhookServer } from './server.js'

export interface RunningWebhook {
  server: WebhookServer
  /** One round of the certificate and caBundle check; the loop runs it every reconcile interval. */
  reconcile(): Promise<void>
  stop(): Promise<void>
}

export async function runWebhook(options: WebhookServerOptions, kubeConfig: KubeConfig, log: Log): Promise<RunningWebhook> {
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api)
  const certificates = options.certDir
    ? mountedCertificates(options.certDir)
    : secretCertificates(core, options.namespace, options.secretName, options.hosts, log)
  let bundle = await certificates.current()
  const server = await startWebhookServer({
    host: options.host,
    port: options.port,
    certificate: { cert: bundle['tls.crt'], key: bundle['tls.key'] },
    routes: webhookRoutes(options.values),
    onError: (error) => log.error('request failed', { error: error.message }),
  })
  log.info('serving admission webhooks', { host: options.host, port: server.port })

  let reportedMissing = ''
  const reconcile = async () => {
    const latest = await certificates.current()
    if (latest['tls.crt'] !== bundle['tls.crt'] || latest['tls.key'] !== bundle['tls.key']) {
      server.useCertificate({ cert: latest['tls.crt'], key: latest['tls.key'] })
      log.info('serving a renewed certificate')
    }
    bundle = latest
    const caPem = bundle['ca.crt']
    if (!caPem) return
    const names = { mutating: options.mutatingConfigurationName, validating: options.validatingConfigurationName }
    const missing = (await patchCaBundles(admission, names, caPem, log)).join(', ')
    if (missing && missing !== reportedMissing) log.info('webhook configurations not found yet; will retry', { missing })
    reportedMissing = missing
  }
  const reconcileLogged = () => reconcile().catch((error: Error) => log.error('certificate reconcile failed; will retry', { error: error.message }))

  await reconcileLogged()
  let running: Promise<void> | undefined
  const timer = setInterval(() => {
    running ??= reconcileLogged().finally(() => (running = undefined))
  }, options.reconcileIntervalMs)
  return {
    server,
    reconcile,
    async stop() {
      clearInterval(timer)
      await running
      await server.close()
    },
  }
}
