import type { Function } from '../api/types.js'
import type { ControllerConfig } from '../controller/config.js'
import type { ReconcileResult } from '../controller/queue.js'
import type { Stores } from '../controller/stores.js'
import type { GitCredentials } from '../git/revision.js'
import type { KanikoTemplates } from '../resources/kaniko.js'
import type { RuntimeProfile } from '../resources/runtime.js'
import type { BuildSlots } from './build-slots.js'
import type { StatusDraft } from './status.js'
import type { Writer } from './writer.js'

/** What every reconcile shares: caches, the writer, settings, templates and the cluster-wide build slots. */
export interface ControllerContext {
  stores: Stores
  writer: Writer
  config: ControllerConfig
  templates: KanikoTemplates
  slots: BuildSlots
  resolveCommit: (url: string, reference: string, credentials?: GitCredentials) => Promise<string>
  log: (message: string) => void
}

/** One reconcile of one Function: the Function as read, its runtime, and the status being drafted. */
export interface Pass {
  fn: Function
  profile: RuntimeProfile
  draft: StatusDraft
}

/** A stage either lets the pass go on, or ends it with what the queue should do next. */
export type StageResult = { stop: ReconcileResult } | { stop?: undefined }
export const CONTINUE: StageResult = {}
export const stop = (result: ReconcileResult = {}): StageResult => ({ stop: result })

export function describe(fn: Function): string {
  return `${fn.metadata.namespace}/${fn.metadata.name}`
}
