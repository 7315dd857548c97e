import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node'
import type { GitRepository } from '../api/types.js'
import type { GitCredentials } from '../git/revision.js'
import { buildSourceConfigMap } from '../resources/configmap.js'
import { Conditions } from './conditions.js'
import type { ControllerContext, Pass, Phase } from './context.js'
import { differs, plan, type Plan } from './plan.js'
import { conditionOf } from './status.js'

export interface InlineObserved {
  configMap: V1ConfigMap | undefined
  /** ConfigurationReady is True on the Function now. */
  configured: boolean
}

/** The inline source ConfigMap (keys source and dependencies): ConfigMapCreated / ConfigMapUpdated. */
export function planInlineSource(observed: InlineObserved, desired: V1ConfigMap): Plan {
  const name = desired.metadata?.name as string
  if (differs(observed.configMap, desired)) {
    return plan({ writes: [{ apply: desired }], conditions: [observed.configMap ? Conditions.configMapUpdated(name) : Conditions.configMapCreated(name)] })
  }
  // Written before a restart, or the condition was lost: report what is there.
  return plan({ conditions: observed.configured ? [] : [Conditions.configMapCreated(name)] })
}

export interface GitObserved {
  /** The commit the reference points at, or why it could not be read. */
  resolved: { commit: string } | { failure: string }
  /** What the Function's status reports now. */
  commit?: string
  reference?: string
  baseDir?: string
  runtime?: string
  configured: boolean
}

export interface GitDesired {
  /** The Function's namespace/name. */
  fn: string
  reference: string
  baseDir: string
  runtime: string
  /** How soon an unreadable repository is tried again. */
  retryMs: number
}

/**
 * A git Function's source: SourceUpdated when commit, reference, baseDir or runtime changed,
 * SourceUpdateFailed (and a retry after the git interval) when the repository cannot be read.
 */
export function planGitSource(observed: GitObserved, desired: GitDesired): Plan {
  if ('failure' in observed.resolved) {
    return plan({ conditions: [Conditions.sourceUpdateFailed(observed.resolved.failure)], stop: { requeueAfterMs: desired.retryMs } })
  }
  const { commit } = observed.resolved
  const changed =
    observed.commit !== commit ||
    observed.reference !== desired.reference ||
    observed.baseDir !== desired.baseDir ||
    observed.runtime !== desired.runtime ||
    !observed.configured
  if (!changed) return plan()
  return plan({ status: { commit, reference: desired.reference, baseDir: desired.baseDir }, conditions: [Conditions.sourceUpdated(desired.fn, commit)] })
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
  const secret = await ctx.client.readSecret(namespace, auth.secretName)
  if (!secret) throw new Error(`Secret ${namespace}/${auth.secretName} of GitRepository ${repository.metadata.name} not found`)
  if (auth.type === 'basic') {
    return { type: 'basic', username: secretField(secret, 'username', auth.secretName), password: secretField(secret, 'password', auth.secretName) }
  }
  const knownHosts = secret.data?.knownHosts
  return {
    type: 'key',
    key: secretField(secret, 'key', auth.secretName),
    ...(knownHosts ? { knownHosts: Buffer.from(knownHosts, 'base64').toString('utf8') } : {}),
  }
}

/** The repository's URL and the commit its reference points at now, or what stood in the way. */
async function resolveGit(ctx: ControllerContext, pass: Pass, reference: string): Promise<{ repository?: GitRepository; resolved: GitObserved['resolved'] }> {
  const namespace = pass.fn.metadata.namespace as string
  const repository = ctx.stores.gitRepositories.get(namespace, pass.fn.spec.source)
  if (!repository)
    return { resolved: { failure: `Reading git options failed: GitRepository ${namespace}/${pass.fn.spec.source} of Function ${pass.key} not found` } }
  if (!reference) return { resolved: { failure: `Reading git options failed: Function ${pass.key} has no spec.reference` } }
  let credentials: GitCredentials | undefined
  try {
    credentials = await gitCredentials(ctx, repository)
  } catch (err) {
    return { resolved: { failure: `Reading git options failed: ${(err as Error).message}` } }
  }
  try {
    return { repository, resolved: { commit: await ctx.resolveCommit(repository.spec.url, reference, credentials) } }
  } catch (err) {
    return { resolved: { failure: `Sources update failed: ${(err as Error).message}` } }
  }
}

/** Source: the inline ConfigMap, or the git reference resolved to a commit. Fills `pass.source`. */
export const sourcePhase: Phase = {
  step: () => 'updating the source',
  async run(ctx, pass) {
    const { fn, profile } = pass
    const configured = conditionOf(fn, 'ConfigurationReady')?.status === 'True'
    if (fn.spec.type !== 'git') {
      const desired = buildSourceConfigMap(fn, profile)
      pass.source = { kind: 'inline', configMapName: desired.metadata?.name as string }
      return planInlineSource({ configMap: ctx.stores.configMaps.get(fn.metadata.namespace as string, pass.source.configMapName), configured }, desired)
    }
    const reference = fn.spec.reference?.trim() ?? ''
    const baseDir = fn.spec.baseDir ?? '/'
    const { repository, resolved } = await resolveGit(ctx, pass, reference)
    if (repository && 'commit' in resolved) pass.source = { kind: 'git', repository, revision: { url: repository.spec.url, commit: resolved.commit, baseDir } }
    const { commit, reference: statusReference, baseDir: statusBaseDir, runtime } = fn.status ?? {}
    return planGitSource(
      { resolved, commit, reference: statusReference, baseDir: statusBaseDir, runtime, configured },
      { fn: pass.key, reference, baseDir, runtime: profile.runtime, retryMs: ctx.config.gitRequeueMs },
    )
  },
}
