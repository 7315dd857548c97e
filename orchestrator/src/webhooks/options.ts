/** The webhook server's settings, read once from the environment at start. */
import { readFileSync } from 'fs'
import { parse } from 'yaml'
import { DEFAULT_WEBHOOK_VALUES, parseWebhookValues, type WebhookValues } from '../api/config.js'

export interface WebhookServerOptions {
  host: string
  port: number
  /** Namespace of the certificate Secret (the chart's release namespace). */
  namespace: string
  secretName: string
  /** A folder with a mounted ca.crt, tls.crt and tls.key; when set the webhook neither generates nor stores certificates. */
  certDir?: string
  /** Every DNS name and IP address the serving certificate must cover. */
  hosts: string[]
  mutatingConfigurationName: string
  validatingConfigurationName: string
  /** How often the certificate and the caBundles are checked and repaired. */
  reconcileIntervalMs: number
  values: WebhookValues
}

/** The variable, trimmed, or `fallback` when it is unset or blank. */
function textOr(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name]?.trim()
  return value ? value : fallback
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return value
}

function readValues(file: string | undefined): WebhookValues {
  if (!file) return DEFAULT_WEBHOOK_VALUES
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`WEBHOOK_VALUES_FILE ${file} cannot be read: ${(error as Error).message}`)
  }
  try {
    return parseWebhookValues(parse(text))
  } catch (error) {
    throw new Error(`WEBHOOK_VALUES_FILE ${file}: ${(error as Error).message}`)
  }
}

export function readWebhookServerOptions(env: NodeJS.ProcessEnv): WebhookServerOptions {
  const namespace = textOr(env, 'WEBHOOK_NAMESPACE', 'kyma-system')
  const service = textOr(env, 'WEBHOOK_SERVICE_NAME', 'kless-webhook')
  const extraHosts = (env.WEBHOOK_CERT_EXTRA_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean)
  return {
    host: textOr(env, 'WEBHOOK_HOST', '0.0.0.0'),
    port: wholeNumber(env, 'WEBHOOK_PORT', 8443, 0, 65535),
    namespace,
    secretName: textOr(env, 'WEBHOOK_SECRET_NAME', 'kless-webhook-certs'),
    certDir: env.WEBHOOK_CERT_DIR?.trim() || undefined,
    hosts: [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, `${service}.${namespace}`, service, ...extraHosts],
    mutatingConfigurationName: textOr(env, 'WEBHOOK_MUTATING_CONFIGURATION', 'kless-webhook'),
    validatingConfigurationName: textOr(env, 'WEBHOOK_VALIDATING_CONFIGURATION', 'kless-webhook'),
    reconcileIntervalMs: wholeNumber(env, 'WEBHOOK_RECONCILE_INTERVAL_SECONDS', 60, 1, 86400) * 1000,
    values: readValues(env.WEBHOOK_VALUES_FILE?.trim() || undefined),
  }
}
