import type { Function } from '../api/types.js'
import { sha256 } from './meta.js'
import type { RuntimeProfile } from './runtime.js'

/** Where a git Function's sources were resolved to. */
export interface GitRevision {
  url: string
  commit: string
  baseDir: string
}

/**
 * The image tag: a hash of exactly what goes into the image, so unchanged code never rebuilds and
 * env, labels, replicas or resources changes only roll the Deployment.
 */
export function imageTag(fn: Function, profile: RuntimeProfile, revision?: GitRevision): string {
  if (revision) return sha256('git', revision.url, revision.commit, revision.baseDir, profile.runtime)
  return sha256('inline', fn.spec.source, fn.spec.deps ?? '', profile.runtime)
}

export function imageName(registryAddress: string, fn: Function, tag: string): string {
  return `${registryAddress}/${fn.metadata.namespace}-${fn.metadata.name}:${tag}`
}
