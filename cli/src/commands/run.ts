/** `kless run`: what to serve (config.yaml or the bare folder, --runtime, --env) resolved into a local run. */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runLocally } from '../local/run.js'
import { UsageError } from '../usage.js'
import { CONFIG_FILE, ConfigError, nameFromFolder, readConfig, resolveRuntime, sourceDir } from '../workspace.js'

export interface RunOptions {
  runtime?: string
  port: number
  env: Record<string, string>
  inspect: boolean
  watch: boolean
}

/** Serves the folder until stopped; resolves with the host's exit code. */
export async function run(dirArgument: string, options: RunOptions): Promise<number> {
  const folder = resolve(dirArgument)
  if (!existsSync(folder)) throw new UsageError(`${dirArgument} is not a folder`)
  const configFile = join(folder, CONFIG_FILE)
  const config = existsSync(configFile) ? readConfig(configFile) : undefined
  if (config?.source.sourceType === 'git')
    throw new ConfigError(`${configFile} takes the code from Git (${config.source.url}); kless run serves a folder on this machine`)
  const dir = config ? sourceDir(config, configFile) : folder
  const env: Record<string, string> = {}
  for (const entry of config?.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value
    else if (!(entry.name in options.env))
      console.error(`kless: ${entry.name} comes from the cluster (valueFrom); give it locally with --env ${entry.name}=...`)
  }
  const runtime = resolveRuntime(options.runtime ?? config?.runtime, dir)
  // FUNC_NAME as the Deployment sets it: the host names its traces' service by it.
  const functionName = { FUNC_NAME: config?.name ?? nameFromFolder(dir) }
  return runLocally({ runtime, dir, port: options.port, env: { ...functionName, ...env, ...options.env }, inspect: options.inspect, watch: options.watch })
}
