import type { ConditionStatus, ConditionType } from '../api/types.js'
import type { ConditionChange, ReasonOf } from './status.js'

function change<T extends ConditionType>(type: T, status: ConditionStatus, reason: ReasonOf<T>, message: string): ConditionChange {
  return { type, status, reason, message } as ConditionChange
}

/**
 * Every condition the controller reports, one helper per seed reason: plans return these, so a reason
 * never lands on the wrong condition type or with the wrong status. `fn` is a Function's namespace/name.
 */
export const Conditions = {
  configMapCreated: (configMap: string) => change('ConfigurationReady', 'True', 'ConfigMapCreated', `ConfigMap ${configMap} created`),
  configMapUpdated: (configMap: string) => change('ConfigurationReady', 'True', 'ConfigMapUpdated', `ConfigMap ${configMap} updated`),
  sourceUpdated: (fn: string, commit: string) => change('ConfigurationReady', 'True', 'SourceUpdated', `Sources of Function ${fn} updated to commit ${commit}`),
  /** The source or the namespace's configuration cannot be used; `message` names the step and the object. */
  sourceUpdateFailed: (message: string) => change('ConfigurationReady', 'False', 'SourceUpdateFailed', message),

  jobsDeleted: (fn: string, jobs: string[]) => change('BuildReady', 'Unknown', 'JobsDeleted', `Old Jobs of Function ${fn} deleted: ${jobs.join(', ')}`),
  jobCreated: (job: string) => change('BuildReady', 'Unknown', 'JobCreated', `Job ${job} created`),
  jobUpdated: (job: string) => change('BuildReady', 'Unknown', 'JobUpdated', `Job ${job} updated`),
  jobRunning: (job: string) => change('BuildReady', 'Unknown', 'JobRunning', `Job ${job} is still in progress`),
  jobFinished: (job: string) => change('BuildReady', 'True', 'JobFinished', `Job ${job} finished`),
  alreadyBuilt: (fn: string, image: string) => change('BuildReady', 'True', 'JobFinished', `Image ${image} of Function ${fn} already built`),
  jobFailed: (fn: string, job: string, why?: string) =>
    change(
      'BuildReady',
      'False',
      'JobFailed',
      `Job ${job} failed${why ? `: ${why}` : ''}; Function ${fn} is rebuilt when its source, dependencies or runtime change`,
    ),

  deploymentCreated: (deployment: string) => change('Running', 'Unknown', 'DeploymentCreated', `Deployment ${deployment} created`),
  deploymentUpdated: (deployment: string) => change('Running', 'Unknown', 'DeploymentUpdated', `Deployment ${deployment} updated`),
  serviceCreated: (service: string) => change('Running', 'Unknown', 'ServiceCreated', `Service ${service} created`),
  serviceUpdated: (service: string) => change('Running', 'Unknown', 'ServiceUpdated', `Service ${service} updated`),
  autoscalerCreated: (hpa: string) => change('Running', 'Unknown', 'HorizontalPodAutoscalerCreated', `HorizontalPodAutoscaler ${hpa} created`),
  autoscalerUpdated: (hpa: string) => change('Running', 'Unknown', 'HorizontalPodAutoscalerUpdated', `HorizontalPodAutoscaler ${hpa} updated`),
  deploymentReady: (deployment: string) => change('Running', 'True', 'DeploymentReady', `Deployment ${deployment} is ready`),
  deploymentWaiting: (deployment: string) => change('Running', 'Unknown', 'DeploymentWaiting', `Deployment ${deployment} is not ready yet`),
  deploymentFailed: (fn: string, deployment: string, why: string) =>
    change('Running', 'False', 'DeploymentFailed', `Deployment ${deployment} of Function ${fn} failed: ${why}`),
} as const
