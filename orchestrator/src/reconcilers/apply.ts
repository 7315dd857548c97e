import type { ReconcileResult } from '../controller/queue.js'
import type { ControllerContext, Pass } from './context.js'
import type { Plan } from './plan.js'

/**
 * Performs a plan: its writes in order through the client (which keeps the caches current), then its
 * condition changes and status fields into the draft, so a failed write never reports its success.
 * A plan that starts a build waits for a build slot as a whole. Returns the plan's stop, if any.
 */
export async function applyPlan(ctx: ControllerContext, pass: Pass, plan: Plan): Promise<ReconcileResult | undefined> {
  if (plan.buildSlot && !ctx.slots.tryReserve(pass.key)) return { requeueAfterMs: ctx.config.buildSlotRequeueMs }
  try {
    for (const write of plan.writes) {
      if ('apply' in write) await ctx.client.apply(write.apply)
      else if ('label' in write) await ctx.client.mergeLabels(write.label, write.labels)
      else await ctx.client.delete(write.delete)
    }
  } finally {
    if (plan.buildSlot) ctx.slots.release(pass.key)
  }
  for (const change of plan.conditions) pass.draft.set(change)
  if (plan.status) Object.assign(pass.draft.status, plan.status)
  return plan.stop
}
