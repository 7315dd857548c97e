import type { V1Secret } from '@kubernetes/client-node'
import type { GitRepository } from '../api/types.js'
import type { GitCredentials } from '../git/revision.js'
import { buildSourceConfigMap } from '../resources/configmap.js'
import type { GitRevision } from '../resources/image.js'
import { appliedHash } from '../resources/meta.js'
import { conditionOf } from './status.js'
import { describe, stop, type ControllerContext, type Pass, type StageResult } from './context.js'

/** The inline source ConfigMap (keys source and dependencies): ConfigMapCreated / ConfigMapUpdated. */
export async function reconcileSourceConfigMap(ctx: ControllerContext, pass: Pass): Promise<string> {
  const { fn, profile, draft } = pass
  const desired = buildSourceConfigMap(fn, profile)
  const name = desired.metadata!.name as string
  const existing = ctx.stores.configMaps.get(fn.metadata.namespace as string, name)
  if (appliedHash(existing) !== appliedHash(desired)) {
    ctx.stores.configMaps.remember(await ctx.writer.apply(desired))
    if (existing) draft.set('ConfigurationReady', 'True', 'ConfigMapUpdated', `ConfigMap ${name} updated`)
    else draft.set('ConfigurationReady', 'True', 'ConfigMapCreated', `ConfigMap ${name} created`)
  } else if (conditionOf(fn, 'ConfigurationReady')?.status !== 'True') {
    // Written before a restart, or the condition was lost: report what is there.
    draft.set('ConfigurationReady', 'True', 'ConfigMapCreated', `ConfigMap ${name} created`)
  }
  return name
}

function secretField(secret: V1Secret, key: string, secretName: string): string {
  const value = secret.data?.[key]
  if (value === undefined) throw new Error(`Secret ${secretName} has no field ${key}`)
  return Buffer.from(value, 'base64').toString('utf8')
}

async function gitCredentials(ctx: ControllerContext, repository: GitRepository): Promise<GitCredentials | undefined> {
  const auth = repository.spec.auth
  if (!auth) return undefined
  const namespace = repository.metadata.namespace as string
  const secret = await ctx.writer.readSecret(namespace, auth.secretName)
  if (!secret) throw new Error(`Secret ${namespace}/${auth.secretName} of GitRepository ${repository.metadata.name} not found`)
  if (auth.type === 'basic') {
    return { type: 'basic', username: secretField(secret, 'username', auth.secretName), password: secretField(secret, 'password', auth.secretName) }
  }
  return { type: 'key', key: secretField(secret, 'key', auth.secretName) }
}

export type GitSource = { revision: GitRevision; repository: GitRepository }

/**
 * Resolves a git Function's reference to a commit: SourceUpdated when commit, reference, baseDir or
 * runtime changed, SourceUpdateFailed (and a retry after the git interval) when it cannot be read.
 */
export async function reconcileGitSource(ctx: ControllerContext, pass: Pass): Promise<StageResult & { git?: GitSource }> {
  const { fn, draft } = pass
  const namespace = fn.metadata.namespace as string
  const fail = (message: string) => {
    draft.set('ConfigurationReady', 'False', 'SourceUpdateFailed', message)
    return stop({ requeueAfterMs: ctx.config.gitRequeueMs })
  }
  const repository = ctx.stores.gitRepositories.get(namespace, fn.spec.source)
  if (!repository) return fail(`Reading git options failed: GitRepository ${namespace}/${fn.spec.source} of Function ${describe(fn)} not found`)
  const reference = fn.spec.reference?.trim()
  if (!reference) return fail(`Reading git options failed: Function ${describe(fn)} has no spec.reference`)
  let credentials: GitCredentials | undefined
  try {
    credentials = await gitCredentials(ctx, repository)
  } catch (err) {
    return fail(`Reading git options failed: ${(err as Error).message}`)
  }
  let commit: string
  try {
    commit = await ctx.resolveCommit(repository.spec.url, reference, credentials)
  } catch (err) {
    return fail(`Sources update failed: ${(err as Error).message}`)
  }
  const baseDir = fn.spec.baseDir ?? '/'
  const status = draft.status
  const changed =
    status.commit !== commit ||
    status.reference !== reference ||
    status.baseDir !== baseDir ||
    fn.status?.runtime !== pass.profile.runtime ||
    conditionOf(fn, 'ConfigurationReady')?.status !== 'True'
  if (changed) {
    Object.assign(status, { commit, reference, baseDir })
    draft.set('ConfigurationReady', 'True', 'SourceUpdated', `Sources of Function ${describe(fn)} updated to commit ${commit}`)
  }
  return { git: { repository, revision: { url: repository.spec.url, commit, baseDir } } }
}
