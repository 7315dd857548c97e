import { ConfigError, HostConfig, readConfig } from './config'
import { expressObjects } from './express-objects'
import { CATALOGUE, errorText, rawFailure } from './failures'
import { Invoker } from './invoke'
import { loadFunction } from './loader'
import { FunctionMetrics } from './metrics'
import { createHost } from './server'
import { OtlpExporter } from './tracing'
import { SyncWatchdog } from './watchdog'

// A function calling process.exit must not take the runtime down with it: the call throws instead, so a
// synchronous exit becomes that request's 500 and a later one is logged like any uncaught exception.
function guardProcessExit(): (code?: number) => never {
  const exit = process.exit.bind(process)
  process.exit = ((code?: number) => {
    throw new Error(`the function called process.exit(${code === undefined ? '' : code}); the runtime keeps serving`)
  }) as typeof process.exit
  return exit
}

async function serve(config: HostConfig): Promise<void> {
  const exit = guardProcessExit()
  // Errors escaping the function asynchronously are logged; the runtime keeps serving (Node ≥ 15 would exit).
  process.on('uncaughtException', (err) => console.error(`Function failed outside a request: ${errorText(err)}`))
  process.on('unhandledRejection', (reason) => console.error(`Function left a rejected promise unhandled: ${errorText(reason)}`))

  const timeoutMs = config.timeoutSeconds * 1000
  const watchdog = SyncWatchdog.start(timeoutMs, rawFailure(CATALOGUE.functionTimedOut))
  if (!watchdog) console.error('Worker threads are unavailable: synchronous busy loops will not be stopped by FUNC_TIMEOUT')
  const exporter = config.otlpEndpoint ? new OtlpExporter(config.otlpEndpoint, config.serviceName) : undefined
  const loaded = await loadFunction(config)
  if (loaded.error) console.error(`Function failed to load: ${errorText(loaded.error)}`)

  const express = expressObjects(watchdog && ((work) => watchdog.uncounted(work)))
  const invoker: Invoker = {
    config,
    loaded,
    metrics: new FunctionMetrics(config.moduleName),
    watchdog,
    exporter,
    environment: { publisherProxyAddress: config.publisherProxyAddress },
    loadExpress: express.load,
  }
  const { server, shutdown } = createHost(invoker, express)
  server.on('error', (err: Error) => {
    console.error(`Cannot listen on FUNC_PORT=${config.port}: ${err.message}`)
    exit(1)
  })
  server.listen(config.port, () =>
    console.log(`Function ${config.moduleName}.${config.handlerName} from ${config.functionDir} listening on port ${config.port}`),
  )

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    console.log('Shutting down..')
    await shutdown(timeoutMs)
    if (exporter) await exporter.close()
    console.log('Server stopped')
    exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
}

let config: HostConfig
try {
  config = readConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`Invalid runtime configuration: ${err.message}`)
  process.exit(2)
}
serve(config).catch((err) => {
  console.error(`The runtime failed to start: ${errorText(err)}`)
  process.exit(1)
})
