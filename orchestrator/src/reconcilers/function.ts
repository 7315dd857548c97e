import type { Function } from '../api/types.js'
import { RUNTIMES } from '../api/types.js'
import { TerminalError, type ReconcileResult } from '../controller/queue.js'
import { requestedRuntime, runtimeProfile } from '../resources/runtime.js'
import { applyPlan } from './apply.js'
import { buildPhase, oldJobsPhase } from './build.js'
import { Conditions } from './conditions.js'
import type { FunctionEvent } from './client.js'
import { functionKey, stepOf, type ControllerContext, type Pass, type Phase } from './context.js'
import { namespacePhase } from './registry.js'
import { sourcePhase } from './source.js'
import { sameStatus, StatusDraft } from './status.js'
import { workloadPhase } from './workload.js'

/** The phases of a pass, in order; each reads only what the ones before it filled in. */
const PHASES: readonly Phase[] = [sourcePhase, namespacePhase, oldJobsPhase, buildPhase, workloadPhase]

/** A phase could not do its work (an API call failed); the message names the step, the Function and the object. */
class PhaseError extends Error {
  override name = 'PhaseError'
}

/** The Event reason of a failure no seed condition describes. */
const RECONCILE_FAILED = 'ReconcileFailed'

/**
 * One level-triggered pass over a Function: each phase compares what exists with what the Function asks
 * for, and its plan is applied. The pass stops where it has to wait (a build running, a build slot
 * taken); the watches bring it back. The status it arrives at is written once at the end, with an Event
 * per condition change; a failure no condition describes becomes a Warning Event, and the key is retried.
 */
export async function reconcileFunction(ctx: ControllerContext, key: string): Promise<ReconcileResult> {
  const [namespace, name] = key.split('/')
  const fn = ctx.stores.functions.get(namespace, name)
  // Children carry owner references, so the garbage collector removes them with the Function.
  if (!fn || fn.metadata.deletionTimestamp) {
    ctx.slots.forget(key)
    ctx.reportedFailures.delete(key)
    return {}
  }
  const runtime = requestedRuntime(fn)
  const profile = runtimeProfile(runtime)
  const draft = new StatusDraft(fn)
  let result: ReconcileResult = {}
  let failure: unknown
  if (!profile) {
    draft.set(Conditions.sourceUpdateFailed(`Function ${key} asks for runtime "${runtime}", which is not one of ${RUNTIMES.join(', ')}`))
    failure = new TerminalError(`unknown runtime ${runtime} in Function ${key}`)
  } else {
    // status.runtime only ever holds a runtime the API accepts; a write with any other would fail as a whole.
    draft.status.runtime = profile.runtime
    try {
      result = await runPhases(ctx, { key, fn, profile, draft })
    } catch (err) {
      failure = err
    }
  }
  try {
    await writeStatus(ctx, fn, draft)
  } catch (err) {
    failure ??= new PhaseError((err as Error).message)
  }
  if (failure === undefined) {
    ctx.reportedFailures.delete(key)
    return result
  }
  if (failure instanceof PhaseError) await reportFailure(ctx, fn, failure.message)
  throw failure
}

async function runPhases(ctx: ControllerContext, pass: Pass): Promise<ReconcileResult> {
  for (const phase of PHASES) {
    let stop: ReconcileResult | undefined
    try {
      stop = await applyPlan(ctx, pass, await phase.run(ctx, pass))
    } catch (err) {
      throw new PhaseError(`${stepOf(phase, pass)}: ${(err as Error).message}`)
    }
    if (stop) return stop
  }
  return {}
}

async function writeStatus(ctx: ControllerContext, fn: Function, draft: StatusDraft): Promise<void> {
  if (sameStatus(fn.status, draft.status)) return
  const written = await ctx.client.writeStatus(fn, draft.status)
  if (!written) return
  await Promise.all(
    draft.changes.map((change) =>
      recordEvent(ctx, written, { type: change.status === 'False' ? 'Warning' : 'Normal', reason: change.reason, message: change.message }),
    ),
  )
}

/** A Warning Event once per distinct failure: retries of the same failure add none. */
async function reportFailure(ctx: ControllerContext, fn: Function, message: string): Promise<void> {
  const key = functionKey(fn)
  if (ctx.reportedFailures.get(key) === message) return
  ctx.reportedFailures.set(key, message)
  await recordEvent(ctx, fn, { type: 'Warning', reason: RECONCILE_FAILED, message })
}

async function recordEvent(ctx: ControllerContext, fn: Function, event: FunctionEvent): Promise<void> {
  await ctx.client
    .recordEvent(fn, event)
    .catch((err) => ctx.log.warn('event not recorded', { function: functionKey(fn), reason: event.reason, error: (err as Error).message }))
}
