/**
 * Defaulting of a Function (the seed's "Defaulting webhook"): runtime, replicas, the Function's resources and
 * the build Job's resources, each from the preset its label names (or the group's default preset). A value the
 * user set always wins; a defaulted request never exceeds the limit the user gave, and a defaulted limit is
 * never below the request. GitRepositories have no defaults.
 */
import type { ReplicasPreset, ResourcesPreset, ResourcesValues, WebhookValues } from './config.js'
import { isMap } from './json.js'
import { isQuantityGiven, parseQuantity } from './quantity.js'
import { LABELS, type Function, type FunctionSpec, type ResourceList, type ResourceRequirements } from './types.js'

function presetFor<T>(labels: Record<string, string> | undefined, label: string, presets: Record<string, T>, defaultPreset: string): T {
  const named = labels?.[label]
  return named !== undefined && Object.prototype.hasOwnProperty.call(presets, named) ? presets[named] : presets[defaultPreset]
}

function defaultReplicas(spec: FunctionSpec, preset: ReplicasPreset): Pick<FunctionSpec, 'minReplicas' | 'maxReplicas'> {
  const userMin = spec.minReplicas ?? undefined
  const userMax = spec.maxReplicas ?? undefined
  if (userMin !== undefined && userMax !== undefined) return { minReplicas: userMin, maxReplicas: userMax }
  // Only min given: the user asked for a fixed size, so max follows it (issue 6), not the preset.
  if (userMin !== undefined) return { minReplicas: userMin, maxReplicas: userMin }
  if (userMax !== undefined) return { minReplicas: typeof userMax === 'number' ? Math.min(preset.min, userMax) : preset.min, maxReplicas: userMax }
  return { minReplicas: preset.min, maxReplicas: preset.max }
}

type Bound = 'atMost' | 'atLeast'

/** The preset's value, moved to `bound` when that is a valid quantity on the wrong side of it. */
function clamp(presetValue: string, bound: string | number | undefined, direction: Bound): string | number {
  if (!isQuantityGiven(bound)) return presetValue
  const boundNanos = parseQuantity(bound)
  if (boundNanos === undefined) return presetValue
  const presetNanos = parseQuantity(presetValue) as bigint
  return (direction === 'atMost' ? boundNanos < presetNanos : boundNanos > presetNanos) ? bound : presetValue
}

function defaultResources(given: ResourceRequirements | undefined, preset: ResourcesPreset): ResourceRequirements | undefined {
  // A malformed block is left for validation to reject with a precise message.
  if ((given !== undefined && given !== null && !isMap(given)) || [given?.requests, given?.limits].some((list) => list != null && !isMap(list))) {
    return given
  }
  const userRequests: ResourceList = given?.requests ?? {}
  const userLimits: ResourceList = given?.limits ?? {}
  // Requests first: they may only be lowered to the limits the user gave, and the limits then rise to them.
  const requests: ResourceList = {
    ...userRequests,
    cpu: isQuantityGiven(userRequests.cpu) ? userRequests.cpu : clamp(preset.requestCpu, userLimits.cpu, 'atMost'),
    memory: isQuantityGiven(userRequests.memory) ? userRequests.memory : clamp(preset.requestMemory, userLimits.memory, 'atMost'),
  }
  const limits: ResourceList = {
    ...userLimits,
    cpu: isQuantityGiven(userLimits.cpu) ? userLimits.cpu : clamp(preset.limitCpu, requests.cpu, 'atLeast'),
    memory: isQuantityGiven(userLimits.memory) ? userLimits.memory : clamp(preset.limitMemory, requests.memory, 'atLeast'),
  }
  return { ...given, requests, limits }
}

function resourcesPresetFor(labels: Record<string, string> | undefined, label: string, values: ResourcesValues): ResourcesPreset {
  return presetFor(labels, label, values.presets, values.defaultPreset)
}

/** The Function with every default filled in; the input is not changed. */
export function defaultFunction(fn: Function, values: WebhookValues): Function {
  const labels = isMap(fn.metadata?.labels) ? fn.metadata.labels : undefined
  if (fn.spec !== undefined && !isMap(fn.spec)) return fn
  const spec: FunctionSpec = fn.spec ?? ({} as FunctionSpec)
  const replicas = values.function.replicas
  return {
    ...fn,
    spec: {
      ...spec,
      runtime: spec.runtime || values.function.defaultRuntime,
      ...defaultReplicas(spec, presetFor(labels, LABELS.replicasPreset, replicas.presets, replicas.defaultPreset)),
      resources: defaultResources(spec.resources, resourcesPresetFor(labels, LABELS.functionResourcesPreset, values.function.resources)),
      buildResources: defaultResources(spec.buildResources, resourcesPresetFor(labels, LABELS.buildResourcesPreset, values.buildJob.resources)),
    },
  }
}
