import type { V1Container, V1EnvVar, V1Job, V1ResourceRequirements, V1Volume } from '@kubernetes/client-node'
import type { Function, GitRepository, ResourceRequirements } from '../api/types.js'
import type { GitRevision } from './image.js'
import type { KanikoTemplates } from './kaniko.js'
import { childLabels, childMeta, stableName, withAppliedHash } from './meta.js'
import type { RuntimeProfile } from './runtime.js'

export type BuildSource = { kind: 'inline'; configMapName: string } | { kind: 'git'; revision: GitRevision; repository: GitRepository; fetcherImage: string }

export interface BuildJobInputs {
  profile: RuntimeProfile
  /** The full image reference kaniko pushes to. */
  destination: string
  registrySecretName: string
  runtimeConfigMapName: string
  baseImage: string
  executorImage: string
  executorArgs: string[]
  serviceAccountName: string
  source: BuildSource
}

/** One Job name per destination: a rebuild of the same image finds the same Job, a new image gets a new one. */
export function buildJobName(fn: Function, destination: string): string {
  return stableName(`${fn.metadata.name}-build-`, fn.metadata.uid as string, destination)
}

/** Quantities as the API stores them: the CR allows bare numbers (`cpu: 1`), a container wants strings. */
export function toResourceRequirements(resources: ResourceRequirements | undefined): V1ResourceRequirements | undefined {
  if (!resources) return undefined
  const list = (values: ResourceRequirements['limits']) =>
    values &&
    Object.fromEntries(
      Object.entries(values)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    )
  const requirements: V1ResourceRequirements = {}
  if (resources.limits) requirements.limits = list(resources.limits)
  if (resources.requests) requirements.requests = list(resources.requests)
  return requirements
}

function repositoryEnv(repository: GitRepository, revision: GitRevision): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'APP_REPOSITORY_URL', value: revision.url },
    { name: 'APP_REPOSITORY_COMMIT', value: revision.commit },
  ]
  const auth = repository.spec.auth
  if (!auth) return env
  const fromSecret = (name: string, key: string, optional = false): V1EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: auth.secretName, key, ...(optional ? { optional } : {}) } },
  })
  env.push({ name: 'APP_REPOSITORY_AUTH_TYPE', value: auth.type })
  if (auth.type === 'basic') {
    env.push(fromSecret('APP_REPOSITORY_USERNAME', 'username'), fromSecret('APP_REPOSITORY_PASSWORD', 'password'))
  } else {
    env.push(
      fromSecret('APP_REPOSITORY_KEY', 'key'),
      fromSecret('APP_REPOSITORY_PASSWORD', 'password', true),
      fromSecret('APP_REPOSITORY_KNOWN_HOSTS', 'knownHosts', true),
    )
  }
  return env
}

/** The kaniko build Job: kaniko/build-job.yaml with this Function's parts filled in. */
export function buildJob(fn: Function, inputs: BuildJobInputs, templates: KanikoTemplates): V1Job {
  const job = structuredClone(templates.job)
  const { profile, source } = inputs
  job.metadata = childMeta(fn, buildJobName(fn, inputs.destination))
  const podSpec = job.spec!.template.spec!
  job.spec!.template.metadata = { ...job.spec!.template.metadata, labels: childLabels(fn) }
  podSpec.serviceAccountName = inputs.serviceAccountName

  const volume = (name: string) => podSpec.volumes!.find((v) => v.name === name) as V1Volume
  volume('runtime').configMap!.name = inputs.runtimeConfigMapName
  volume('credentials').secret!.secretName = inputs.registrySecretName

  const executor = podSpec.containers.find((c) => c.name === 'executor') as V1Container
  executor.image = inputs.executorImage
  executor.args = [...inputs.executorArgs, `--destination=${inputs.destination}`, '--context=dir:///workspace', `--build-arg=BASE_IMAGE=${inputs.baseImage}`]
  executor.resources = toResourceRequirements(fn.spec.buildResources)

  if (source.kind === 'inline') {
    volume('sources').configMap!.name = source.configMapName
    executor.volumeMounts!.push(
      { name: 'sources', subPath: 'source', mountPath: `/workspace/src/${profile.sourceFile}` },
      { name: 'sources', subPath: 'dependencies', mountPath: `/workspace/src/${profile.dependenciesFile}` },
    )
  } else {
    podSpec.volumes = podSpec.volumes!.filter((v) => v.name !== 'sources')
    podSpec.volumes.push(structuredClone(templates.repoFetcher.volume))
    const fetcher = structuredClone(templates.repoFetcher.initContainer)
    fetcher.image = source.fetcherImage
    fetcher.env = [...repositoryEnv(source.repository, source.revision), ...(fetcher.env ?? [])]
    podSpec.initContainers = [fetcher]
    executor.volumeMounts!.push({
      name: 'workspace',
      subPath: source.revision.baseDir.replace(/^\/+/, ''),
      mountPath: '/workspace/src',
    })
  }
  return withAppliedHash(job)
}
