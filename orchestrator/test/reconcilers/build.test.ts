import t from 'tap'
import type { V1Job, V1Pod } from '@kubernetes/client-node'
import { buildRuntimeConfigMap } from '../../src/resources/configmap.js'
import { buildJob } from '../../src/resources/job.js'
import { planBuild, planOldJobs, type BuildObserved } from '../../src/reconcilers/build.js'
import { makeFunction, profileOf, templates } from '../fixtures.js'
import { planRows } from './rows.js'

const profile = profileOf('nodejs12')
const fn = makeFunction()
const IMAGE = 'registry.local:5000/demo-hello:abc'
const job = buildJob(
  fn,
  {
    profile,
    destination: IMAGE,
    registrySecretName: 'serverless-registry-config-default',
    runtimeConfigMapName: 'dockerfile-nodejs12',
    baseImage: 'kless/runtime-nodejs12:0.1.0',
    executorImage: 'kaniko/executor:v1',
    executorArgs: [],
    serviceAccountName: 'serverless-build',
    source: { kind: 'inline', configMapName: 'hello-abcde' },
  },
  templates,
)
const jobName = job.metadata?.name as string
const runtimeConfigMap = buildRuntimeConfigMap('demo', profile, templates.dockerfiles.nodejs)
const desired = { fn: 'demo/hello', job, runtimeConfigMap, image: IMAGE, retryMs: 300_000 }

const withStatus = (status: V1Job['status'], labels = job.metadata?.labels): V1Job => ({ ...job, metadata: { ...job.metadata, labels }, status })
const none: BuildObserved = { job: undefined, runtimeConfigMap, deployedImage: undefined, built: false, pods: [] }
/** A build pod whose executor ended with this exit code and this log tail as its termination message. */
const endedPod = (exitCode: number, message?: string): V1Pod => ({
  metadata: { name: `${jobName}-x1`, labels: { 'job-name': jobName } },
  status: {
    containerStatuses: [{ name: 'executor', image: 'kaniko', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, message } } }],
  },
})
const failedPod = (message: string): V1Pod => endedPod(1, message)
const NPM_404 = [
  'time="2026-12-02T01:28:31Z" level=info msg="Running: [/bin/sh -c npm install]"',
  'npm error code E404',
  'npm error 404 Not Found - GET https://registry.example/kless-no-such-package - Not found',
  "npm error 404  'kless-no-such-package@1.0.0' is not in this registry.",
  'npm error 404 Note that you can also install from a',
  'npm error 404 tarball, folder, http url, or git url.',
  'npm error A complete log of this run can be found in: /tmp/.npm/_logs/2026-12-02T01_51_01_336Z-debug-0.log',
  'npm notice',
  'time="2026-12-02T01:28:33Z" level=error msg="error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1"',
].join('\n')

t.test('build', async (t) => {
  planRows<BuildObserved>(
    t,
    [
      {
        name: 'new: the Job is created, with a build slot',
        observed: none,
        want: { writes: [`apply Job ${jobName}`], conditions: ['BuildReady Unknown JobCreated'], buildSlot: true, stop: {} },
      },
      {
        name: 'new in a namespace without the Dockerfile: it goes first',
        observed: { ...none, runtimeConfigMap: undefined },
        want: { writes: ['apply ConfigMap dockerfile-nodejs12', `apply Job ${jobName}`], buildSlot: true, stop: {} },
      },
      {
        name: 'running: waited for',
        observed: { ...none, job: withStatus({ active: 1 }) },
        want: { writes: [], conditions: ['BuildReady Unknown JobRunning'], stop: {} },
      },
      {
        name: 'failed: JobFailed, not retried with the same inputs',
        observed: { ...none, job: withStatus({ failed: 1 }) },
        want: {
          writes: [],
          conditions: ['BuildReady False JobFailed'],
          messages: [/is rebuilt when its source, dependencies or runtime change/],
          stop: { requeueAfterMs: 300_000 },
        },
      },
      {
        name: "failed with the tool's refusal in its log: the condition carries the log's end",
        observed: { ...none, job: withStatus({ failed: 1 }), pods: [failedPod(NPM_404)] },
        want: {
          conditions: ['BuildReady False JobFailed'],
          messages: [
            /failed: npm error code E404 \/ npm error 404 Not Found - GET \S+ - Not found \/ error building image: .*exit status 1; Function demo\/hello is rebuilt/,
          ],
          stop: { requeueAfterMs: 300_000 },
        },
      },
      {
        name: "failed in pip: pip's two ERROR lines and kaniko's last line",
        observed: {
          ...none,
          job: withStatus({ failed: 1 }),
          pods: [
            failedPod(
              [
                'ERROR: Could not find a version that satisfies the requirement nope==9.9 (from versions: none)',
                'ERROR: No matching distribution found for nope==9.9',
                'time="2026-12-02T01:28:33Z" level=error msg="error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1"',
              ].join('\n'),
            ),
          ],
        },
        want: {
          conditions: ['BuildReady False JobFailed'],
          messages: [
            /failed: ERROR: Could not find a version .*nope==9\.9.* \/ ERROR: No matching distribution found for nope==9\.9 \/ error building image: .*; Function/,
          ],
          stop: { requeueAfterMs: 300_000 },
        },
      },
      {
        name: 'finished: JobFinished and the pass goes on',
        observed: { ...none, job: withStatus({ succeeded: 1 }) },
        want: { writes: [], conditions: ['BuildReady True JobFinished'] },
      },
      {
        name: 'pushed: the executor exited 0 before the Job controller counted the pod, JobFinished',
        observed: { ...none, job: withStatus({ active: 1 }), pods: [endedPod(0)] },
        want: { writes: [], conditions: ['BuildReady True JobFinished'] },
      },
      {
        name: 'an executor that exited 0 does not outweigh a Job the Job controller failed',
        observed: { ...none, job: withStatus({ failed: 1 }), pods: [endedPod(0)] },
        want: { conditions: ['BuildReady False JobFailed'], stop: { requeueAfterMs: 300_000 } },
      },
      {
        name: 'running with a failed attempt behind it: still waited for',
        observed: { ...none, job: withStatus({ active: 1 }), pods: [failedPod(NPM_404)] },
        want: { writes: [], conditions: ['BuildReady Unknown JobRunning'], stop: {} },
      },
      {
        name: 'finished, with labels beyond the wanted ones: left as they are',
        observed: { ...none, job: withStatus({ succeeded: 1 }, { ...job.metadata?.labels, team: 'old' }) },
        want: { writes: [], conditions: ['BuildReady True JobFinished'] },
      },
      {
        name: 'finished, and the Function gained a label: JobUpdated',
        observed: { ...none, job: withStatus({ succeeded: 1 }, { 'serverless.kyma-project.io/uuid': fn.metadata.uid as string }) },
        want: { writes: [`label Job ${jobName}`], conditions: ['BuildReady Unknown JobUpdated', 'BuildReady True JobFinished'] },
      },
      {
        name: 'already built by a running Deployment (its Job is gone): no rebuild',
        observed: { ...none, deployedImage: IMAGE },
        want: { writes: [], conditions: ['BuildReady True JobFinished'], messages: [`Image ${IMAGE} of Function demo/hello already built`] },
      },
      { name: 'already built and reported so: nothing new', observed: { ...none, deployedImage: IMAGE, built: true }, want: { writes: [], conditions: [] } },
      {
        name: 'a Deployment running another image does not count as built',
        observed: { ...none, deployedImage: 'registry.local:5000/demo-hello:old' },
        want: { writes: [`apply Job ${jobName}`], buildSlot: true, stop: {} },
      },
    ],
    (observed) => planBuild(observed, desired),
  )
})

t.test('old builds', async (t) => {
  const stale = { metadata: { name: 'hello-build-old', namespace: 'demo' } }
  planRows<{ jobs: V1Job[] }>(
    t,
    [
      {
        name: 'stale: Jobs of other images are deleted (JobsDeleted)',
        observed: { jobs: [stale, job] },
        want: {
          writes: ['delete Job hello-build-old'],
          conditions: ['BuildReady Unknown JobsDeleted'],
          messages: ['Old Jobs of Function demo/hello deleted: hello-build-old'],
        },
      },
      { name: 'only the current Job: nothing to delete', observed: { jobs: [job] }, want: { writes: [], conditions: [] } },
      { name: 'no Jobs yet', observed: { jobs: [] }, want: { writes: [], conditions: [] } },
    ],
    (observed) => planOldJobs(observed, { fn: 'demo/hello', jobName }),
  )
})
