import type { Function, GitRepository } from '../api/types.js'
import type { ControllerConfig } from '../controller/config.js'
import type { Stores } from '../controller/stores.js'
import type { GitCredentials } from '../git/revision.js'
import type { Log } from '../log.js'
import type { GitRevision } from '../resources/image.js'
import type { KanikoTemplates } from '../resources/kaniko.js'
import type { RuntimeProfile } from '../resources/runtime.js'
import type { Registry } from '../registry/registry.js'
import type { BuildSlots } from './build-slots.js'
import type { ClusterClient } from './client.js'
import type { V1Job } from '@kubernetes/client-node'
import type { Plan } from './plan.js'
import type { StatusDraft } from './status.js'

/** What every reconcile shares: caches, the client, settings, templates and the cluster-wide build slots. */
export interface ControllerContext {
  stores: Stores
  client: ClusterClient
  config: ControllerConfig
  templates: KanikoTemplates
  slots: BuildSlots
  resolveCommit: (url: string, reference: string, credentials?: GitCredentials) => Promise<string>
  log: Log
  /** Per Function, the last failure reported as an Event, so a retry of the same failure adds none. */
  reportedFailures: Map<string, string>
}

/** Where the build takes the code from: the source ConfigMap, or a commit of a git repository. */
export type SourceOfBuild = { kind: 'inline'; configMapName: string } | { kind: 'git'; revision: GitRevision; repository: GitRepository }

/** The image one build pushes and the Deployment then runs. */
export interface Image {
  /** The reference the build pushes to. */
  destination: string
  /** The same image as kubelets pull it. */
  pull: string
}

/**
 * One reconcile of one Function. The phases run in order over it; each fills the fields later ones
 * read (source, then registry, then build), and none reads another phase's objects behind its back.
 */
export interface Pass {
  /** The Function's namespace/name, as messages and logs name it. */
  key: string
  fn: Function
  profile: RuntimeProfile
  draft: StatusDraft
  source?: SourceOfBuild
  registry?: Registry
  /** The image the source and registry make, and the Job that builds it. */
  build?: { image: Image; job: V1Job }
}

/** A field an earlier phase fills; missing means the phases run in the wrong order. */
export function filled<K extends 'source' | 'registry' | 'build'>(pass: Pass, field: K): NonNullable<Pass[K]> {
  const value = pass[field]
  if (value === undefined) throw new Error(`phase order: ${field} of Function ${pass.key} is read before it is filled`)
  return value as NonNullable<Pass[K]>
}

/** One step of a pass: observe (caches, outside state), fill the Pass, and return the pure plan's decision. */
export interface Phase {
  /** The step as a failure message names it, e.g. "preparing namespace demo". */
  step(pass: Pass): string
  run(ctx: ControllerContext, pass: Pass): Promise<Plan>
}

export function functionKey(fn: { metadata?: { namespace?: string; name?: string } }): string {
  return `${fn.metadata?.namespace}/${fn.metadata?.name}`
}

/** "preparing namespace demo for Function demo/hello": how a failure message of this phase starts. */
export function stepOf(phase: Phase, pass: Pass): string {
  return `${phase.step(pass)} for Function ${pass.key}`
}
