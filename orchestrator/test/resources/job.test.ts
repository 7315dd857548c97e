import t from 'tap'
import type { V1Container, V1Job } from '@kubernetes/client-node'
import { buildJob, buildJobName, type BuildJobInputs } from '../../src/resources/job.js'
import type { GitRepository } from '../../src/api/types.js'
import { makeFunction, profileOf, templates } from '../fixtures.js'

const inputs = (overrides: Partial<BuildJobInputs> = {}): BuildJobInputs => ({
  profile: profileOf('nodejs12'),
  destination: 'registry.local:5000/demo-hello:abc',
  registrySecretName: 'serverless-registry-config-default',
  runtimeConfigMapName: 'dockerfile-nodejs12',
  baseImage: 'kless/runtime-nodejs12:0.1.0',
  executorImage: 'kaniko/executor:v1',
  executorArgs: ['--insecure', '--cache=true'],
  serviceAccountName: 'serverless-build',
  source: { kind: 'inline', configMapName: 'hello-abcde' },
  ...overrides,
})

const executor = (job: V1Job) => job.spec?.template.spec?.containers.find((c) => c.name === 'executor') as V1Container
const volume = (job: V1Job, name: string) => job.spec?.template.spec?.volumes?.find((v) => v.name === name)

t.test('a build runs once: backoffLimit 0, restartPolicy Never, no istio sidecar', async (t) => {
  const job = buildJob(makeFunction(), inputs(), templates)
  t.match(job.spec, { backoffLimit: 0, parallelism: 1, completions: 1 })
  t.equal(job.spec?.template.spec?.restartPolicy, 'Never')
  t.equal(job.spec?.template.metadata?.annotations?.['sidecar.istio.io/inject'], 'false')
  t.equal(job.spec?.template.spec?.serviceAccountName, 'serverless-build')
})

t.test('kaniko pushes to the destination from the workspace context on the runtime base image', async (t) => {
  const job = buildJob(makeFunction(), inputs(), templates)
  t.same(executor(job).args, [
    '--insecure',
    '--cache=true',
    '--destination=registry.local:5000/demo-hello:abc',
    '--context=dir:///workspace',
    '--build-arg=BASE_IMAGE=kless/runtime-nodejs12:0.1.0',
  ])
  t.equal(executor(job).image, 'kaniko/executor:v1')
  t.same(executor(job).env, [{ name: 'DOCKER_CONFIG', value: '/docker/.docker/' }])
})

t.test('the inline ConfigMap is mounted as the runtime file names', async (t) => {
  const job = buildJob(makeFunction(), inputs(), templates)
  t.same(volume(job, 'sources'), { name: 'sources', configMap: { name: 'hello-abcde' } })
  t.same(volume(job, 'runtime'), { name: 'runtime', configMap: { name: 'dockerfile-nodejs12' } })
  t.match(volume(job, 'credentials'), {
    secret: { secretName: 'serverless-registry-config-default', items: [{ key: '.dockerconfigjson', path: '.docker/config.json' }] },
  })
  const mounts = executor(job).volumeMounts
  t.match(mounts, [
    { name: 'runtime', subPath: 'Dockerfile', mountPath: '/workspace/Dockerfile' },
    { name: 'credentials', mountPath: '/docker', readOnly: true },
    { name: 'registry-config', mountPath: '/workspace/registry-config' },
    { name: 'sources', subPath: 'source', mountPath: '/workspace/src/handler.js' },
    { name: 'sources', subPath: 'dependencies', mountPath: '/workspace/src/package.json' },
  ])
  const python = buildJob(makeFunction({ runtime: 'python38' }), inputs({ profile: profileOf('python38') }), templates)
  t.match(executor(python).volumeMounts?.slice(-2), [{ mountPath: '/workspace/src/handler.py' }, { mountPath: '/workspace/src/requirements.txt' }])
})

t.test('buildResources become the executor resources, numbers as quantities', async (t) => {
  const fn = makeFunction({ buildResources: { limits: { cpu: 2, memory: '2Gi' }, requests: { cpu: 1, memory: '1Gi' } } })
  t.same(executor(buildJob(fn, inputs(), templates)).resources, { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '1', memory: '1Gi' } })
  t.equal(executor(buildJob(makeFunction(), inputs(), templates)).resources, undefined)
})

t.test('job name: one per destination, labelled and owned like every child', async (t) => {
  const fn = makeFunction({}, { labels: { team: 'a' } })
  const job = buildJob(fn, inputs(), templates)
  t.match(job.metadata?.name, /^hello-build-[a-z0-9]{5}$/)
  t.equal(job.metadata?.name, buildJobName(fn, 'registry.local:5000/demo-hello:abc'))
  t.not(buildJobName(fn, 'registry.local:5000/demo-hello:abc'), buildJobName(fn, 'registry.local:5000/demo-hello:def'))
  t.same(job.spec?.template.metadata?.labels, job.metadata?.labels)
  t.equal(job.metadata?.labels?.team, 'a')
  t.equal(job.metadata?.ownerReferences?.[0].controller, true)
})

t.test('the template is not changed by building', async (t) => {
  buildJob(makeFunction(), inputs(), templates)
  t.same(templates.job.spec?.template.spec?.containers[0].args, undefined)
})

t.test('a git build clones the resolved commit and mounts baseDir as the sources', async (t) => {
  const repository: GitRepository = {
    apiVersion: 'serverless.kyma-project.io/v1alpha1',
    kind: 'GitRepository',
    metadata: { name: 'repo', namespace: 'demo' },
    spec: { url: 'http://git.local/repo.git', auth: { type: 'basic', secretName: 'git-creds' } },
  }
  const job = buildJob(
    makeFunction({ type: 'git', source: 'repo', baseDir: '/fn/a', reference: 'main' }),
    inputs({ source: { kind: 'git', repository, fetcherImage: 'git:1', revision: { url: 'http://git.local/repo.git', commit: 'c0ffee', baseDir: '/fn/a' } } }),
    templates,
  )
  t.equal(volume(job, 'sources'), undefined)
  t.same(volume(job, 'workspace'), { name: 'workspace', emptyDir: {} })
  const fetcher = job.spec?.template.spec?.initContainers?.[0] as V1Container
  t.equal(fetcher.image, 'git:1')
  t.match(fetcher.env, [
    { name: 'APP_REPOSITORY_URL', value: 'http://git.local/repo.git' },
    { name: 'APP_REPOSITORY_COMMIT', value: 'c0ffee' },
    { name: 'APP_REPOSITORY_AUTH_TYPE', value: 'basic' },
    { name: 'APP_REPOSITORY_USERNAME', valueFrom: { secretKeyRef: { name: 'git-creds', key: 'username' } } },
    { name: 'APP_REPOSITORY_PASSWORD', valueFrom: { secretKeyRef: { name: 'git-creds', key: 'password' } } },
    { name: 'APP_MOUNT_PATH', value: '/workspace' },
  ])
  t.same(executor(job).volumeMounts?.at(-1), { name: 'workspace', subPath: 'fn/a', mountPath: '/workspace/src' })
})
