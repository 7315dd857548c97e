/**
 * The defaulting and validation configuration: the chart's `webhook.values` block as one typed object.
 * The defaults below are the seed's tables; charts/kless/values.yaml carries the same numbers (a test keeps
 * the two equal).
 */
import { DEFAULT_RUNTIME, RESERVED_ENV_NAMES, RUNTIMES, type Runtime } from './types.js'
import { isMap } from './json.js'
import { parseQuantity } from './quantity.js'

export interface ReplicasPreset {
  min: number
  max: number
}

export interface ResourcesPreset {
  requestCpu: string
  requestMemory: string
  limitCpu: string
  limitMemory: string
}

export interface ResourcesValues {
  minRequestCpu: string
  minRequestMemory: string
  defaultPreset: string
  presets: Record<string, ResourcesPreset>
}

export interface WebhookValues {
  reservedEnvs: string[]
  function: {
    defaultRuntime: Runtime
    replicas: { minValue: number; defaultPreset: string; presets: Record<string, ReplicasPreset> }
    resources: ResourcesValues
  }
  buildJob: { resources: ResourcesValues }
}

function resourcesPreset(requestCpu: string, requestMemory: string, limitCpu: string, limitMemory: string): ResourcesPreset {
  return { requestCpu, requestMemory, limitCpu, limitMemory }
}

export const DEFAULT_WEBHOOK_VALUES: WebhookValues = {
  reservedEnvs: [...RESERVED_ENV_NAMES],
  function: {
    defaultRuntime: DEFAULT_RUNTIME,
    replicas: {
      minValue: 1,
      defaultPreset: 'S',
      presets: { S: { min: 1, max: 1 }, M: { min: 1, max: 2 }, L: { min: 1, max: 5 }, XL: { min: 1, max: 10 } },
    },
    resources: {
      minRequestCpu: '10m',
      minRequestMemory: '16Mi',
      defaultPreset: 'M',
      presets: {
        XS: resourcesPreset('10m', '16Mi', '25m', '32Mi'),
        S: resourcesPreset('25m', '32Mi', '50m', '64Mi'),
        M: resourcesPreset('50m', '64Mi', '100m', '128Mi'),
        L: resourcesPreset('100m', '128Mi', '200m', '256Mi'),
        XL: resourcesPreset('200m', '256Mi', '400m', '512Mi'),
      },
    },
  },
  buildJob: {
    resources: {
      minRequestCpu: '200m',
      minRequestMemory: '200Mi',
      defaultPreset: 'normal',
      presets: {
        'local-dev': resourcesPreset('200m', '200Mi', '400m', '400Mi'),
        slow: resourcesPreset('400m', '400Mi', '700m', '700Mi'),
        normal: resourcesPreset('700m', '700Mi', '1100m', '1100Mi'),
        fast: resourcesPreset('1100m', '1100Mi', '1700m', '1700Mi'),
      },
    },
  },
}

/** Keys of webhook.values that belong to the chart (the webhook's own Deployment), not to defaulting. */
const CHART_ONLY_KEYS = new Set(['deployment'])

/** Helm's merge: maps merge key by key, everything else the override replaces. */
function mergeOver(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override === undefined ? base : override
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) merged[key] = mergeOver(base[key], value)
  return merged
}

class ValuesReader {
  readonly problems: string[] = []

  constructor(private readonly prefix: string) {}

  at(path: string[]): string {
    return [this.prefix, ...path].join('.')
  }

  object(value: unknown, path: string[], knownKeys: string[]): Record<string, unknown> {
    if (!isMap(value)) {
      this.problems.push(`${this.at(path)} must be a map`)
      return {}
    }
    for (const key of Object.keys(value)) {
      if (!knownKeys.includes(key) && !(path.length === 0 && CHART_ONLY_KEYS.has(key))) {
        this.problems.push(`${this.at([...path, key])} is not a known setting (known: ${knownKeys.join(', ')})`)
      }
    }
    return value
  }

  quantity(value: unknown, path: string[]): string {
    const text = typeof value === 'number' ? String(value) : value
    if (typeof text !== 'string' || parseQuantity(text) === undefined || (parseQuantity(text) as bigint) < 0n) {
      this.problems.push(`${this.at(path)} must be a non-negative quantity like 100m or 64Mi, got ${JSON.stringify(value)}`)
      return '0'
    }
    return text
  }

  replicas(value: unknown, path: string[]): number {
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
      this.problems.push(`${this.at(path)} must be a whole number ≥ 0, got ${JSON.stringify(value)}`)
      return 0
    }
    return number
  }

  presetName(value: unknown, path: string[], presets: Record<string, unknown>): string {
    if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(presets, value)) {
      this.problems.push(`${this.at(path)} must name one of the presets (${Object.keys(presets).join(', ')}), got ${JSON.stringify(value)}`)
    }
    return String(value)
  }

  resources(value: unknown, path: string[]): ResourcesValues {
    const raw = this.object(value, path, ['minRequestCpu', 'minRequestMemory', 'defaultPreset', 'presets'])
    const rawPresets = this.object(raw.presets, [...path, 'presets'], Object.keys(isMap(raw.presets) ? raw.presets : {}))
    const presets: Record<string, ResourcesPreset> = {}
    for (const [name, preset] of Object.entries(rawPresets)) {
      const at = [...path, 'presets', name]
      const fields = this.object(preset, at, ['requestCpu', 'requestMemory', 'limitCpu', 'limitMemory'])
      presets[name] = resourcesPreset(
        this.quantity(fields.requestCpu, [...at, 'requestCpu']),
        this.quantity(fields.requestMemory, [...at, 'requestMemory']),
        this.quantity(fields.limitCpu, [...at, 'limitCpu']),
        this.quantity(fields.limitMemory, [...at, 'limitMemory']),
      )
    }
    const values: ResourcesValues = {
      minRequestCpu: this.quantity(raw.minRequestCpu, [...path, 'minRequestCpu']),
      minRequestMemory: this.quantity(raw.minRequestMemory, [...path, 'minRequestMemory']),
      defaultPreset: this.presetName(raw.defaultPreset, [...path, 'defaultPreset'], presets),
      presets,
    }
    // A preset that validation would refuse would make every Function using it fail, so it is refused here.
    const nanos = (quantity: string) => parseQuantity(quantity) as bigint
    for (const [name, preset] of Object.entries(presets)) {
      const at = this.at([...path, 'presets', name])
      for (const [request, limit, minimum] of [
        [preset.requestCpu, preset.limitCpu, values.minRequestCpu],
        [preset.requestMemory, preset.limitMemory, values.minRequestMemory],
      ]) {
        if (nanos(request) > nanos(limit)) this.problems.push(`${at}: the request ${request} is larger than the limit ${limit}`)
        if (nanos(request) < nanos(minimum)) this.problems.push(`${at}: the request ${request} is below the minimum ${minimum}`)
      }
    }
    return values
  }
}

/**
 * Reads a `webhook.values` block (as parsed from YAML or JSON) merged over the defaults, the way Helm merges
 * overrides. Throws one error listing every problem, each naming its key.
 */
export function parseWebhookValues(raw: unknown): WebhookValues {
  const reader = new ValuesReader('webhook.values')
  const root = reader.object(mergeOver(DEFAULT_WEBHOOK_VALUES, raw ?? {}), [], ['reservedEnvs', 'function', 'buildJob'])
  const fn = reader.object(root.function, ['function'], ['defaultRuntime', 'replicas', 'resources'])
  const replicas = reader.object(fn.replicas, ['function', 'replicas'], ['minValue', 'defaultPreset', 'presets'])
  const rawReplicaPresets = reader.object(replicas.presets, ['function', 'replicas', 'presets'], Object.keys(isMap(replicas.presets) ? replicas.presets : {}))
  const replicaPresets: Record<string, ReplicasPreset> = {}
  for (const [name, preset] of Object.entries(rawReplicaPresets)) {
    const at = ['function', 'replicas', 'presets', name]
    const fields = reader.object(preset, at, ['min', 'max'])
    replicaPresets[name] = { min: reader.replicas(fields.min, [...at, 'min']), max: reader.replicas(fields.max, [...at, 'max']) }
    if (replicaPresets[name].min > replicaPresets[name].max) reader.problems.push(`${reader.at(at)}: min is larger than max`)
  }
  if (!RUNTIMES.includes(fn.defaultRuntime as string)) {
    reader.problems.push(`${reader.at(['function', 'defaultRuntime'])} must be one of ${RUNTIMES.join(', ')}, got ${JSON.stringify(fn.defaultRuntime)}`)
  }
  const reservedEnvs = root.reservedEnvs
  if (!Array.isArray(reservedEnvs) || !reservedEnvs.every((name) => typeof name === 'string')) {
    reader.problems.push(`${reader.at(['reservedEnvs'])} must be a list of env names`)
  }
  const buildJob = reader.object(root.buildJob, ['buildJob'], ['resources'])
  const values: WebhookValues = {
    reservedEnvs: Array.isArray(reservedEnvs) ? reservedEnvs.map(String) : [],
    function: {
      defaultRuntime: fn.defaultRuntime as Runtime,
      replicas: {
        minValue: reader.replicas(replicas.minValue, ['function', 'replicas', 'minValue']),
        defaultPreset: reader.presetName(replicas.defaultPreset, ['function', 'replicas', 'defaultPreset'], replicaPresets),
        presets: replicaPresets,
      },
      resources: reader.resources(fn.resources, ['function', 'resources']),
    },
    buildJob: { resources: reader.resources(buildJob.resources, ['buildJob', 'resources']) },
  }
  if (reader.problems.length > 0) throw new Error(`invalid webhook.values:\n  ${reader.problems.join('\n  ')}`)
  return values
}
