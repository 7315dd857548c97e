import type { V1Deployment, V1EnvVar, V1Probe } from '@kubernetes/client-node'
import type { Function } from '../api/types.js'
import { toResourceRequirements } from './job.js'
import { childMeta, podSelectorLabels, stableName, withAppliedHash } from './meta.js'
import type { RuntimeProfile } from './runtime.js'

export const FUNCTION_PORT = 8080

export interface DeploymentInputs {
  profile: RuntimeProfile
  /** The image reference kubelets pull. */
  image: string
  serviceAccountName: string
  progressDeadlineSeconds: number
  /**
   * Replicas to declare. While an autoscaler owns scaling this is the Deployment's current count,
   * and it is left out of the change hash so the autoscaler's decisions never look like drift.
   */
  replicas: number
  scalingEnabled: boolean
}

export function deploymentName(fn: Function): string {
  return stableName(`${fn.metadata.name}-`, fn.metadata.uid as string, 'deployment')
}

/** minReplicas, or 1 when unset (the webhook normally sets it). */
export function minReplicas(fn: Function): number {
  return Math.max(fn.spec.minReplicas ?? 1, 1)
}

export function maxReplicas(fn: Function): number {
  return Math.max(fn.spec.maxReplicas ?? minReplicas(fn), minReplicas(fn))
}

export function scalingEnabled(fn: Function): boolean {
  return minReplicas(fn) < maxReplicas(fn)
}

function functionEnv(fn: Function, profile: RuntimeProfile): V1EnvVar[] {
  return [
    ...(fn.spec.env ?? []),
    ...profile.env,
    { name: 'FUNC_HANDLER', value: 'main' },
    { name: 'MOD_NAME', value: 'handler' },
    { name: 'FUNC_PORT', value: String(FUNCTION_PORT) },
    { name: 'FUNC_NAME', value: fn.metadata.name as string },
  ]
}

const healthz = { httpGet: { path: '/healthz', port: FUNCTION_PORT } }
const STARTUP_PROBE: V1Probe = { ...healthz, initialDelaySeconds: 0, periodSeconds: 1, successThreshold: 1, failureThreshold: 120 }
const READINESS_PROBE: V1Probe = { ...healthz, initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: 1 }
/**
 * A terminating pod keeps taking connections this long before its SIGTERM: kube-proxy and ingress proxies route to
 * it until they see it leave the endpoints, and the runtime refuses new connections as soon as it is signalled.
 */
const TERMINATION_DRAIN_SECONDS = 3

export function buildDeployment(fn: Function, inputs: DeploymentInputs): V1Deployment {
  const selector = podSelectorLabels(fn)
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(fn, deploymentName(fn)),
    spec: {
      replicas: inputs.replicas,
      progressDeadlineSeconds: inputs.progressDeadlineSeconds,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...(fn.spec.labels ?? {}), ...selector },
          annotations: { 'proxy.istio.io/config': '{ "holdApplicationUntilProxyStarts": true }' },
        },
        spec: {
          serviceAccountName: inputs.serviceAccountName,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          volumes: [{ name: 'tmp-dir', emptyDir: { sizeLimit: '100Mi' } }],
          containers: [
            {
              name: 'function',
              image: inputs.image,
              imagePullPolicy: 'IfNotPresent',
              env: functionEnv(fn, inputs.profile),
              resources: toResourceRequirements(fn.spec.resources),
              ports: [{ name: 'http', containerPort: FUNCTION_PORT, protocol: 'TCP' }],
              volumeMounts: [{ name: 'tmp-dir', mountPath: '/tmp' }],
              startupProbe: STARTUP_PROBE,
              readinessProbe: READINESS_PROBE,
              lifecycle: { preStop: { sleep: { seconds: TERMINATION_DRAIN_SECONDS } } },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                privileged: false,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
        },
      },
    },
  }
  const hashed = inputs.scalingEnabled ? { ...deployment, spec: { ...deployment.spec, replicas: undefined } } : deployment
  return withAppliedHash(deployment, hashed)
}
