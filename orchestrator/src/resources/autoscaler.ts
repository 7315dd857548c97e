import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import type { Function } from '../api/types.js'
import { deploymentName, maxReplicas, minReplicas } from './deployment.js'
import { childMeta, stableName, withAppliedHash } from './meta.js'

export function autoscalerName(fn: Function): string {
  return stableName(`${fn.metadata.name}-`, fn.metadata.uid as string, 'autoscaler')
}

/** Scales the Deployment on CPU between minReplicas and maxReplicas; only exists while they differ. */
export function buildAutoscaler(fn: Function, targetCpuUtilizationPercentage: number): V2HorizontalPodAutoscaler {
  return withAppliedHash({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(fn, autoscalerName(fn)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName(fn) },
      minReplicas: minReplicas(fn),
      maxReplicas: maxReplicas(fn),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpuUtilizationPercentage } } }],
    },
  })
}
