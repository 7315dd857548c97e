/** Everything the host reads from its environment, read once at start-up. */
export interface HostConfig {
  port: number
  /** Folder holding the function: handler file, package.json, node_modules (`/kubeless` in images). */
  functionDir: string
  moduleName: string
  handlerName: string
  /** Seconds a call may take; also `context.timeout`. */
  timeoutSeconds: number
  runtime: string | undefined
  memoryLimit: string | undefined
  bodyLimitBytes: number
  publisherProxyAddress: string | undefined
  otlpEndpoint: string | undefined
  serviceName: string
  accessLog: boolean
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

function positiveNumber(env: Env, name: string, fallback: number, integer: boolean): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a positive integer' : 'a positive number'
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not ${kind}`)
  }
  return value
}

function moduleIdentifier(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback
  if (!/^[A-Za-z0-9_.$-]+$/.test(value) || value.startsWith('.')) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be a plain name (letters, digits, _ . $ -), not a path`)
  }
  return value
}

function httpUrl(env: Env, name: string): string | undefined {
  const value = env[name]
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be an http:// or https:// URL`)
  }
  return value
}

/** Reads and validates the host's environment; throws ConfigError naming the offending variable. */
export function readConfig(env: Env): HostConfig {
  const port = positiveNumber(env, 'FUNC_PORT', 8080, true)
  if (port > 65535) throw new ConfigError(`FUNC_PORT=${port} is not a TCP port (1-65535)`)
  return {
    port,
    functionDir: env.KUBELESS_INSTALL_VOLUME || '/kubeless',
    moduleName: moduleIdentifier(env, 'MOD_NAME', 'handler'),
    handlerName: moduleIdentifier(env, 'FUNC_HANDLER', 'main'),
    timeoutSeconds: positiveNumber(env, 'FUNC_TIMEOUT', 180, false),
    runtime: env.FUNC_RUNTIME,
    memoryLimit: env.FUNC_MEMORY_LIMIT,
    bodyLimitBytes: Math.floor(positiveNumber(env, 'REQ_MB_LIMIT', 1, false) * 1024 * 1024),
    publisherProxyAddress: httpUrl(env, 'PUBLISHER_PROXY_ADDRESS'),
    otlpEndpoint: httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
    serviceName: env.OTEL_SERVICE_NAME || env.FUNC_NAME || 'kless-function',
    accessLog: Boolean(env.KYMA_INTERNAL_LOGGER_ENABLED),
  }
}
