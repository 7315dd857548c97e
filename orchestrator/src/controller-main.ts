/**
 * The Function controller process: reads its settings and kubeconfig once, fills its caches, wins the
 * leader lease, then reconciles until SIGTERM. KUBECONFIG (or the in-cluster service account) says
 * which cluster; the APP_* variables in controller/config.ts say how.
 */
import { hostname } from 'node:os'
import { KubeConfig } from '@kubernetes/client-node'
import { readControllerConfig } from './controller/config.js'
import { FunctionController } from './controller/controller.js'
import { LeaderElector } from './controller/leader.js'
import { ControllerMetrics, serveProbes } from './controller/metrics.js'
import { jsonLog } from './log.js'
import { loadKanikoTemplates } from './resources/kaniko.js'

const log = jsonLog('controller')

async function main(): Promise<void> {
  const config = readControllerConfig(process.env, hostname())
  const kc = new KubeConfig()
  kc.loadFromDefault()
  const metrics = new ControllerMetrics()
  const controller = new FunctionController(kc, config, loadKanikoTemplates(process.env.APP_KANIKO_DIR || undefined), metrics, log)
  const probes = await serveProbes(metrics, () => controller.ready, config.metricsPort, config.metricsHost)
  log.info('serving probes and metrics', { host: config.metricsHost, port: config.metricsPort })

  const elector = new LeaderElector(
    kc,
    { namespace: config.systemNamespace, name: config.leaseName, identity: config.identity, leaseDurationSeconds: config.leaseDurationSeconds },
    log,
  )
  const shutdown = async (code: number) => {
    elector.stop()
    await controller.stop()
    probes.close()
    process.exit(code)
  }
  process.once('SIGTERM', () => void shutdown(0))
  process.once('SIGINT', () => void shutdown(0))

  await controller.sync()
  log.info('waiting for the leader lease', { lease: `${config.systemNamespace}/${config.leaseName}`, identity: config.identity })
  await elector.acquire(() => {
    log.warn('leader lease lost to another replica; exiting so only one replica reconciles')
    metrics.leader.set(0)
    void shutdown(1)
  })
  metrics.leader.set(1)
  log.info('leading; reconciling Functions')
  controller.run()
}

main().catch((err) => {
  log.error('the function controller could not start', { error: (err as Error).stack ?? String(err) })
  process.exit(1)
})
