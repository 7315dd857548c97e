/**
 * Validation of Functions and GitRepositories (the seed's "Validation webhook"). Every failure names the field
 * and the rule it broke; all failures are reported at once. Creates and updates go through the same checks,
 * after defaulting, so a missing replica count or resource here means the defaulting webhook did not run.
 */
import type { ResourcesValues, WebhookValues } from './config.js'
import { isMap } from './json.js'
import { isQuantityGiven, parseQuantity } from './quantity.js'
import { isNodeRuntime, RUNTIMES, type Function, type GitRepository, type Runtime } from './types.js'

export interface FieldError {
  field: string
  message: string
}

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map(({ field, message }) => `${field}: ${message}`).join('; ')
}

const RFC_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === ''
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/')
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key]
  if (prefix !== undefined && (prefix.length > 253 || !DNS_1123_SUBDOMAIN.test(prefix))) {
    return `label key ${show(key)} has an invalid prefix: it must be a DNS subdomain (lowercase, at most 253 characters)`
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${show(key)} is invalid: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric`
  }
  return undefined
}

function validateLabels(labels: unknown, field: string): FieldError[] {
  if (labels === undefined || labels === null) return []
  if (!isMap(labels)) return [{ field, message: 'must be a map of label names to values' }]
  const errors: FieldError[] = []
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key)
    if (keyProblem) errors.push({ field, message: keyProblem })
    if (typeof value !== 'string' || (value !== '' && (value.length > 63 || !LABEL_NAME.test(value)))) {
      errors.push({
        field: `${field}.${key}`,
        message: `label value ${show(value)} is invalid: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric`,
      })
    }
  }
  return errors
}

function validateName(metadata: unknown): FieldError[] {
  const name = isMap(metadata) ? metadata.name : undefined
  if (isBlank(name)) return [{ field: 'metadata.name', message: 'is required' }]
  if ((name as string).length > 63 || !RFC_1035_LABEL.test(name as string)) {
    return [
      {
        field: 'metadata.name',
        message: `${show(name)} is not an RFC 1035 label: at most 63 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit`,
      },
    ]
  }
  return []
}

function validateEnv(env: unknown, reserved: string[]): FieldError[] {
  if (env === undefined || env === null) return []
  if (!Array.isArray(env)) return [{ field: 'spec.env', message: 'must be a list of {name, value} entries' }]
  return env.flatMap((entry: unknown, index): FieldError[] => {
    const field = `spec.env[${index}].name`
    const name = isMap(entry) ? entry.name : undefined
    if (isBlank(name)) return [{ field, message: 'is required' }]
    if (!ENV_VAR_NAME.test(name as string)) {
      return [{ field, message: `${show(name)} is not a valid env name: letters, digits, '_', '-' or '.', not starting with a digit` }]
    }
    if (reserved.includes(name as string)) return [{ field, message: `${name} is reserved for the serverless runtime and cannot be set` }]
    return []
  })
}

function validateDeps(deps: unknown, runtime: unknown): FieldError[] {
  const field = 'spec.deps'
  if (deps === undefined || deps === null) return []
  if (typeof deps !== 'string') return [{ field, message: 'must be a string' }]
  if (deps.trim() === '' || !RUNTIMES.includes(runtime as Runtime) || !isNodeRuntime(runtime as Runtime)) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(deps)
  } catch (error) {
    return [{ field, message: `must be a valid package.json (JSON) for a Node.js runtime: ${(error as Error).message}` }]
  }
  if (!isMap(parsed)) return [{ field, message: 'must be a package.json object ({...}) for a Node.js runtime' }]
  return (['name', 'version'] as const)
    .filter((key) => isBlank(parsed[key]))
    .map((key) => ({ field, message: `package.json must have a non-empty "${key}" string` }))
}

function validateReplicas(min: unknown, max: unknown, minValue: number): FieldError[] {
  const errors: FieldError[] = []
  for (const [field, value] of [
    ['spec.minReplicas', min],
    ['spec.maxReplicas', max],
  ] as const) {
    if (value === undefined || value === null) errors.push({ field, message: 'is required (the defaulting webhook sets it)' })
    else if (typeof value !== 'number' || !Number.isInteger(value)) errors.push({ field, message: `must be a whole number, got ${show(value)}` })
    else if (value < minValue) errors.push({ field, message: `${value} is below the minimum of ${minValue} replica(s)` })
  }
  if (typeof min === 'number' && typeof max === 'number' && max < min) {
    errors.push({ field: 'spec.maxReplicas', message: `${max} is less than spec.minReplicas ${min}; maxReplicas must be ≥ minReplicas` })
  }
  return errors
}

function validateResources(given: unknown, field: string, values: ResourcesValues): FieldError[] {
  if (!isMap(given)) return [{ field, message: 'is required (the defaulting webhook sets it)' }]
  const errors: FieldError[] = []
  /** The quantity in nano-units, or undefined after recording why there is none. */
  const read = (at: string, block: unknown, resource: 'cpu' | 'memory'): bigint | undefined => {
    const value = isMap(block) ? block[resource] : undefined
    if (!isQuantityGiven(value as string | undefined)) {
      errors.push({ field: at, message: 'is required (the defaulting webhook sets it)' })
      return undefined
    }
    const nanos = typeof value === 'string' || typeof value === 'number' ? parseQuantity(value) : undefined
    if (nanos === undefined) errors.push({ field: at, message: `${show(value)} is not a resource quantity (like 100m, 0.5, 64Mi or 1Gi)` })
    return nanos
  }
  for (const resource of ['cpu', 'memory'] as const) {
    const minimum = resource === 'cpu' ? values.minRequestCpu : values.minRequestMemory
    const minimumNanos = parseQuantity(minimum) as bigint
    const shown = (list: 'requests' | 'limits') => show((given[list] as Record<string, unknown>)[resource])
    const nanosOf = {} as Record<'requests' | 'limits', bigint | undefined>
    for (const list of ['requests', 'limits'] as const) {
      const at = `${field}.${list}.${resource}`
      const nanos = (nanosOf[list] = read(at, given[list], resource))
      if (nanos !== undefined && nanos < minimumNanos) errors.push({ field: at, message: `${shown(list)} is below the minimum ${minimum}` })
    }
    if (nanosOf.requests !== undefined && nanosOf.limits !== undefined && nanosOf.limits < nanosOf.requests) {
      errors.push({
        field: `${field}.limits.${resource}`,
        message: `${shown('limits')} is less than ${field}.requests.${resource} ${shown('requests')}; limits must be ≥ requests`,
      })
    }
  }
  return errors
}

export function validateFunction(fn: Function, values: WebhookValues): FieldError[] {
  const errors = validateName(fn.metadata)
  const spec: unknown = fn.spec
  if (!isMap(spec)) return [...errors, { field: 'spec', message: 'is required' }]
  if (isBlank(spec.source)) errors.push({ field: 'spec.source', message: 'must not be empty (inline code, or the GitRepository name for type git)' })
  if (!RUNTIMES.includes(spec.runtime as Runtime)) {
    errors.push({ field: 'spec.runtime', message: `${show(spec.runtime)} is not supported; use one of ${RUNTIMES.join(', ')}` })
  }
  if (spec.type === 'git') {
    if (isBlank(spec.reference)) errors.push({ field: 'spec.reference', message: 'is required when spec.type is git (a branch or commit)' })
    if (isBlank(spec.baseDir)) errors.push({ field: 'spec.baseDir', message: 'is required when spec.type is git (for example "/")' })
  } else if (spec.type !== undefined && spec.type !== null && spec.type !== '') {
    errors.push({ field: 'spec.type', message: `${show(spec.type)} is not supported; leave it empty for inline code or set it to git` })
  } else {
    errors.push(...validateDeps(spec.deps, spec.runtime))
  }
  errors.push(
    ...validateEnv(spec.env, values.reservedEnvs),
    ...validateLabels(spec.labels, 'spec.labels'),
    ...validateReplicas(spec.minReplicas, spec.maxReplicas, values.function.replicas.minValue),
    ...validateResources(spec.resources, 'spec.resources', values.function.resources),
    ...validateResources(spec.buildResources, 'spec.buildResources', values.buildJob.resources),
  )
  return errors
}

const URL_PREFIXES = ['https://', 'http://', 'git@', 'git://', 'ssh://']
/** SSH URLs authenticate with a key, so they need auth of type key (the seed's GitRepository table). */
const SSH_PREFIXES = ['git@', 'ssh://']

export function validateGitRepository(repository: GitRepository): FieldError[] {
  const spec: unknown = repository.spec
  if (!isMap(spec)) return [{ field: 'spec', message: 'is required' }]
  const errors: FieldError[] = []
  const url = spec.url
  if (isBlank(url)) {
    errors.push({ field: 'spec.url', message: 'must not be empty' })
  } else {
    const text = (url as string).trim()
    if (!URL_PREFIXES.some((prefix) => text.startsWith(prefix))) {
      errors.push({ field: 'spec.url', message: `${show(url)} must start with ${URL_PREFIXES.join(', ')}` })
    }
    if (!text.endsWith('.git')) errors.push({ field: 'spec.url', message: `${show(url)} must end with .git` })
  }
  const auth = spec.auth
  const ssh = typeof url === 'string' && SSH_PREFIXES.some((prefix) => url.trim().startsWith(prefix))
  if (auth === undefined || auth === null) {
    if (ssh) errors.push({ field: 'spec.auth', message: 'is required for an SSH URL: type key with the secretName of the key' })
    return errors
  }
  if (!isMap(auth)) return [...errors, { field: 'spec.auth', message: 'must be a map with type and secretName' }]
  if (ssh && auth.type !== 'key') {
    errors.push({ field: 'spec.auth.type', message: `must be key for an SSH URL, got ${show(auth.type)}` })
  } else if (auth.type !== 'basic' && auth.type !== 'key') {
    errors.push({ field: 'spec.auth.type', message: `must be basic (password or token) or key (SSH key), got ${show(auth.type)}` })
  }
  if (isBlank(auth.secretName)) errors.push({ field: 'spec.auth.secretName', message: 'must not be empty when spec.auth is given' })
  return errors
}
