/**
 * The serverless.kyma-project.io/v1alpha1 API as TypeScript types: the contract shared by the
 * defaulting and validation webhooks, the resource builders and the reconcilers.
 */
import type { V1EnvVar, V1ObjectMeta } from '@kubernetes/client-node'

export const GROUP = 'serverless.kyma-project.io'
export const VERSION = 'v1alpha1'
export const API_VERSION = `${GROUP}/${VERSION}`

/** The seed's runtimes first; the current ones are ours. nodejs12 is the default. */
export const RUNTIMES = ['nodejs12', 'nodejs10', 'python38', 'nodejs20', 'nodejs22', 'python312'] as const
export type Runtime = (typeof RUNTIMES)[number]
export const DEFAULT_RUNTIME: Runtime = 'nodejs12'

export function isNodeRuntime(runtime: Runtime): boolean {
  return runtime.startsWith('nodejs')
}

export interface ResourceList {
  cpu?: string | number
  memory?: string | number
}

export interface ResourceRequirements {
  requests?: ResourceList
  limits?: ResourceList
}

export interface FunctionSpec {
  /** Inline: the code. type git: the name of a GitRepository in the same namespace. */
  source: string
  deps?: string
  runtime?: Runtime
  env?: V1EnvVar[]
  resources?: ResourceRequirements
  buildResources?: ResourceRequirements
  minReplicas?: number
  maxReplicas?: number
  /** Labels put on the Function's pods. */
  labels?: Record<string, string>
  /** Empty for inline sources; 'git' for a GitRepository source. */
  type?: '' | 'git'
  baseDir?: string
  reference?: string
}

export const CONDITION_TYPES = ['ConfigurationReady', 'BuildReady', 'Running'] as const
export type ConditionType = (typeof CONDITION_TYPES)[number]
export type ConditionStatus = 'True' | 'False' | 'Unknown'

/** Every reason the seed's "Status reasons" table names, and nothing else. */
export const CONDITION_REASONS = {
  ConfigurationReady: ['ConfigMapCreated', 'ConfigMapUpdated', 'SourceUpdated', 'SourceUpdateFailed'],
  BuildReady: ['JobFailed', 'JobCreated', 'JobUpdated', 'JobRunning', 'JobsDeleted', 'JobFinished'],
  Running: [
    'DeploymentCreated',
    'DeploymentUpdated',
    'DeploymentFailed',
    'DeploymentWaiting',
    'DeploymentReady',
    'ServiceCreated',
    'ServiceUpdated',
    'HorizontalPodAutoscalerCreated',
    'HorizontalPodAutoscalerUpdated',
  ],
} as const
export type ConditionReason = (typeof CONDITION_REASONS)[ConditionType][number]

export interface Condition {
  type: ConditionType
  status: ConditionStatus
  lastTransitionTime?: string
  reason?: ConditionReason
  message?: string
}

export interface FunctionStatus {
  conditions?: Condition[]
  source?: string
  runtime?: Runtime
  baseDir?: string
  reference?: string
  commit?: string
}

export interface Function {
  apiVersion: typeof API_VERSION
  kind: 'Function'
  metadata: V1ObjectMeta
  spec: FunctionSpec
  status?: FunctionStatus
}

export interface GitRepositorySpec {
  url: string
  auth?: { type: 'basic' | 'key'; secretName: string }
}

export interface GitRepository {
  apiVersion: typeof API_VERSION
  kind: 'GitRepository'
  metadata: V1ObjectMeta
  spec: GitRepositorySpec
}

/** Label keys the platform reads or writes. */
export const LABELS = {
  functionName: `${GROUP}/function-name`,
  managedBy: `${GROUP}/managed-by`,
  uuid: `${GROUP}/uuid`,
  resource: `${GROUP}/resource`,
  config: `${GROUP}/config`,
  runtime: `${GROUP}/runtime`,
  remoteRegistry: `${GROUP}/remote-registry`,
  replicasPreset: `${GROUP}/replicas-preset`,
  functionResourcesPreset: `${GROUP}/function-resources-preset`,
  buildResourcesPreset: `${GROUP}/build-resources-preset`,
} as const

export const MANAGED_BY_CONTROLLER = 'function-controller'

/** Env names the Deployment sets itself; a Function may not set them. */
export const RESERVED_ENV_NAMES = ['FUNC_RUNTIME', 'FUNC_HANDLER', 'FUNC_PORT', 'MOD_NAME', 'NODE_PATH', 'PYTHONPATH'] as const
