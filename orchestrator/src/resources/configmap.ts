import type { V1ConfigMap } from '@kubernetes/client-node'
import { LABELS, MANAGED_BY_CONTROLLER, type Function } from '../api/types.js'
import { childMeta, stableName, withAppliedHash } from './meta.js'
import { sanitizedDependencies, type RuntimeProfile } from './runtime.js'

export function sourceConfigMapName(fn: Function): string {
  return stableName(`${fn.metadata.name}-`, fn.metadata.uid as string, 'configmap')
}

/** The inline Function's code as the build mounts it: keys `source` and `dependencies`. */
export function buildSourceConfigMap(fn: Function, profile: RuntimeProfile): V1ConfigMap {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMeta(fn, sourceConfigMapName(fn)),
    data: {
      source: fn.spec.source,
      dependencies: sanitizedDependencies(profile, fn.spec.deps),
    },
  })
}

export function runtimeConfigMapName(profile: RuntimeProfile): string {
  return `dockerfile-${profile.runtime}`
}

/**
 * The Dockerfile of one runtime, kept in every namespace that builds Functions of that runtime.
 * It belongs to no single Function, so it has no owner and survives their deletion.
 */
export function buildRuntimeConfigMap(namespace: string, profile: RuntimeProfile, dockerfile: string): V1ConfigMap {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: runtimeConfigMapName(profile),
      namespace,
      labels: {
        [LABELS.config]: 'runtime',
        [LABELS.runtime]: profile.runtime,
        [LABELS.managedBy]: MANAGED_BY_CONTROLLER,
      },
    },
    data: { Dockerfile: dockerfile },
  })
}
