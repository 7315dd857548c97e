import type { KubernetesObject } from '@kubernetes/client-node'
import type { FunctionStatus } from '../api/types.js'
import type { ReconcileResult } from '../controller/queue.js'
import { appliedHash } from '../resources/meta.js'
import type { ConditionChange } from './status.js'

/** An object as a write names it; objects from a list carry no apiVersion and kind, so refs always do. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  namespace: string
  name: string
}

export type Write =
  /** Server-side apply: creates or updates in one idempotent call. */
  | { apply: KubernetesObject }
  /** Only these labels change (a Job's pod template is immutable). */
  | { label: ObjectRef; labels: Record<string, string> }
  | { delete: ObjectRef }

/**
 * What one phase decided from what it observed and what the Function asks for: the API writes, in order,
 * the condition changes, the status fields it sets, and whether the pass stops here (and what the queue
 * does next). Plans are pure; `applyPlan` performs them.
 */
export interface Plan {
  writes: Write[]
  conditions: ConditionChange[]
  status?: Pick<FunctionStatus, 'commit' | 'reference' | 'baseDir'>
  /** The writes start a build: they wait for a cluster-wide build slot, or are left for later as a whole. */
  buildSlot?: true
  stop?: ReconcileResult
}

export const plan = (fields: Partial<Plan> = {}): Plan => ({ writes: [], conditions: [], ...fields })

/** Whether `desired` needs applying over `existing`: the applied-hash annotations differ. */
export function differs(existing: KubernetesObject | undefined, desired: KubernetesObject): boolean {
  return appliedHash(existing) !== appliedHash(desired)
}

export function refOf(apiVersion: string, kind: string, object: KubernetesObject): ObjectRef {
  return { apiVersion, kind, namespace: object.metadata?.namespace as string, name: object.metadata?.name as string }
}
