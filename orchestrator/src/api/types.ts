/**
 * The serverless.kyma-project.io/v1alpha1 API as TypeScript types: the contract shared by the
 * defaulting and validation webhooks, the resource builders and the reconcilers.
 */
import type { V1EnvVar, V1ObjectMeta } from '@kubernetes/client-node'
import { DEFAULT_RUNTIME as MATRIX_DEFAULT_RUNTIME, RUNTIME_NAMES, runtimeInfo } from '@kless/runtime-matrix'

export const GROUP = 'serverless.kyma-project.io'
export const VERSION = 'v1alpha1'
export const API_VERSION = `${GROUP}/${VERSION}`

/** The runtimes of the runtime matrix (runtimes/matrix/matrix.json), the seed's first. */
export const RUNTIMES: readonly string[] = RUNTIME_NAMES
/** A name from RUNTIMES; spec.runtime holds whatever a user wrote until validation has checked it. */
export type Runtime = string
export const DEFAULT_RUNTIME: Runtime = MATRIX_DEFAULT_RUNTIME

/** For a name in RUNTIMES: whether the Node host serves it. */
export function isNodeRuntime(runtime: Runtime): boolean {
  return runtimeInfo(runtime).language === 'nodejs'
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

/**
 * Env names the Deployment sets itself; a Function may not set them, or its value would land next to ours.
 * The seed's six, and FUNC_NAME, which kless sets too.
 */
export const RESERVED_ENV_NAMES = ['FUNC_RUNTIME', 'FUNC_HANDLER', 'FUNC_PORT', 'MOD_NAME', 'NODE_PATH', 'PYTHONPATH', 'FUNC_NAME'] as const
