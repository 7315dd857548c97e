/**
 * The controller's settings, read once from the environment at start-up and passed down.
 * Names follow the original chart's APP_* variables where one existed.
 */
import { runtimeImage } from '@kless/runtime-matrix'
import { RUNTIMES, type Runtime } from '../api/types.js'

export interface ControllerConfig {
  /** Namespace holding the cluster-wide registry Secrets and the leader-election Lease. */
  systemNamespace: string
  /** Watch and reconcile only this namespace; unset means the whole cluster. */
  watchNamespace?: string
  /** At most this many build Jobs run at once across the cluster. */
  maxSimultaneousBuilds: number
  /** Reconciles running in parallel; one Function is never reconciled twice at the same time. */
  workers: number
  executorImage: string
  executorArgs: string[]
  /** Image of the build's init container that clones a git Function's repository. */
  repoFetcherImage: string
  /** The base image each runtime's function build starts from: the matrix's runtime image, behind an optional registry prefix. */
  runtimeImages: Record<Runtime, string>
  buildServiceAccount: string
  functionServiceAccount: string
  targetCpuUtilizationPercentage: number
  /** A failed build or deployment is looked at again after this long (nothing else is retried). */
  requeueAfterFailureMs: number
  /** A healthy Function is re-checked this often, which also notices new git commits and registry switches. */
  requeueReadyMs: number
  gitRequeueMs: number
  buildSlotRequeueMs: number
  progressDeadlineSeconds: number
  leaseName: string
  leaseDurationSeconds: number
  /** This replica's leader-election identity; a restarted replica with the same identity takes its lease back at once. */
  identity: string
  metricsPort: number
  metricsHost: string
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`)
  }
  return value
}

function text(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]
  return raw === undefined || raw === '' ? fallback : raw
}

/** `registry.example:5000/` in front of every runtime image: the images as pushed to an operator's registry. */
function runtimeImages(registryPrefix: string): Record<Runtime, string> {
  if (registryPrefix !== '' && !registryPrefix.endsWith('/')) {
    throw new Error(`APP_FUNCTION_RUNTIME_IMAGE_PREFIX must be a registry ending in "/", like registry.example:5000/, got "${registryPrefix}"`)
  }
  return Object.fromEntries(RUNTIMES.map((runtime) => [runtime, runtimeImage(runtime, registryPrefix)]))
}

export const DEFAULT_EXECUTOR_ARGS = ['--insecure', '--skip-tls-verify', '--skip-unused-stages', '--log-format=text', '--cache=true']

export function readControllerConfig(env: NodeJS.ProcessEnv, hostname: string): ControllerConfig {
  return {
    systemNamespace: text(env, 'APP_SYSTEM_NAMESPACE', 'kyma-system'),
    watchNamespace: env.APP_WATCH_NAMESPACE || undefined,
    maxSimultaneousBuilds: int(env, 'APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS', 5, 1),
    workers: int(env, 'APP_WORKERS', 8, 1),
    executorImage: text(env, 'APP_FUNCTION_BUILD_EXECUTOR_IMAGE', 'kless/kaniko-executor:0.1.0'),
    executorArgs: text(env, 'APP_FUNCTION_BUILD_EXECUTOR_ARGS', DEFAULT_EXECUTOR_ARGS.join(','))
      .split(',')
      .map((arg) => arg.trim())
      .filter(Boolean),
    repoFetcherImage: text(env, 'APP_FUNCTION_BUILD_REPO_FETCHER_IMAGE', 'kless/git-fetcher:0.1.0'),
    runtimeImages: runtimeImages(text(env, 'APP_FUNCTION_RUNTIME_IMAGE_PREFIX', '')),
    buildServiceAccount: text(env, 'APP_FUNCTION_BUILD_SERVICE_ACCOUNT_NAME', 'serverless-build'),
    functionServiceAccount: text(env, 'APP_FUNCTION_IMAGE_PULL_ACCOUNT_NAME', 'serverless-function'),
    targetCpuUtilizationPercentage: int(env, 'APP_FUNCTION_TARGET_CPU_UTILIZATION_PERCENTAGE', 50, 1),
    requeueAfterFailureMs: int(env, 'APP_FUNCTION_REQUEUE_DURATION_SECONDS', 300, 1) * 1000,
    requeueReadyMs: int(env, 'APP_FUNCTION_READY_REQUEUE_DURATION_SECONDS', 300, 1) * 1000,
    gitRequeueMs: int(env, 'APP_GIT_FETCH_REQUEUE_DURATION_SECONDS', 30, 1) * 1000,
    buildSlotRequeueMs: 5000,
    progressDeadlineSeconds: int(env, 'APP_FUNCTION_PROGRESS_DEADLINE_SECONDS', 600, 1),
    leaseName: text(env, 'APP_LEADER_ELECTION_ID', 'serverless-controller-leader-election-helper'),
    leaseDurationSeconds: int(env, 'APP_LEADER_ELECTION_LEASE_SECONDS', 15, 2),
    identity: text(env, 'POD_NAME', hostname),
    metricsPort: int(env, 'APP_METRICS_PORT', 8080),
    metricsHost: text(env, 'APP_METRICS_HOST', '0.0.0.0'),
  }
}
