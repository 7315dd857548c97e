/**
 * The Function and GitRepository webhooks run in-process, as the API server would call them: what a client that has
 * no cluster (the CLI's --dry-run) needs to show the object the API server would store, or the denial it would give.
 */
import { DEFAULT_WEBHOOK_VALUES, type WebhookValues } from '../api/config.js'
import { isMap } from '../api/json.js'
import type { Function, GitRepository } from '../api/types.js'
import type { AdmissionHandler, AdmissionRequest, JsonPatchOperation } from './admission.js'
import { functionDefaulting } from './defaulting.js'
import { resourceValidation } from './validating.js'

export type OfflineAdmission<T> = { allowed: true; object: T } | { allowed: false; message: string }

function applyTopLevelPatch<T>(object: T, patch: JsonPatchOperation[] = []): T {
  const patched = { ...object } as Record<string, unknown>
  for (const operation of patch) {
    const key = operation.path.slice(1)
    // The defaulting webhook replaces whole top-level members; anything deeper would be a new webhook to mirror here.
    if (!/^[^/]+$/.test(key)) throw new Error(`offline admission applies top-level patches only, not ${operation.path}`)
    if (operation.op === 'remove') delete patched[key]
    else patched[key] = operation.value
  }
  return patched as T
}

/** Mutating, then validating, on a CREATE of `object`, with the chart's default webhook values unless given. */
export function admitOffline<T extends Function | GitRepository>(object: T, values: WebhookValues = DEFAULT_WEBHOOK_VALUES): OfflineAdmission<T> {
  const metadata = isMap(object.metadata) ? (object.metadata as { name?: string; namespace?: string }) : {}
  const request = (current: T): AdmissionRequest => ({
    uid: 'offline',
    kind: { group: object.apiVersion.split('/')[0], version: object.apiVersion.split('/')[1], kind: object.kind },
    operation: 'CREATE',
    name: metadata.name,
    namespace: metadata.namespace,
    object: current,
  })
  let current = object
  const phases: AdmissionHandler[] = [functionDefaulting(values), resourceValidation(values)]
  for (const handle of phases) {
    const verdict = handle(request(current))
    if (!verdict.allowed) return { allowed: false, message: verdict.message }
    current = applyTopLevelPatch(current, verdict.patch)
  }
  return { allowed: true, object: current }
}
