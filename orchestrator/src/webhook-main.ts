/** Entry point of the admission webhook process (the controller has its own). */
import { KubeConfig } from '@kubernetes/client-node'
import { jsonLog } from './log.js'
import { readWebhookServerOptions } from './webhooks/options.js'
import { runWebhook } from './webhooks/run.js'

const log = jsonLog('webhook')

try {
  const options = readWebhookServerOptions(process.env)
  const kubeConfig = new KubeConfig()
  try {
    kubeConfig.loadFromDefault()
  } catch (error) {
    throw new Error(`cannot load a kube config (KUBECONFIG, ~/.kube/config or the in-cluster service account): ${(error as Error).message}`)
  }
  const webhook = await runWebhook(options, kubeConfig, log)
  const shutdown = (signal: string) => {
    log.info('stopping', { signal })
    webhook.stop().then(() => process.exit(0))
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
} catch (error) {
  log.error('the webhook could not start', { error: (error as Error).message })
  process.exit(1)
}
