import type { Test } from 'tap'
import type { Plan } from '../../src/reconcilers/plan.js'

/** A plan as rows state it: each write as "verb Kind name", each condition as "Type Status Reason". */
export interface PlanSummary {
  writes: string[]
  conditions: string[]
  messages: string[]
  status?: Plan['status']
  buildSlot?: true
  stop?: Plan['stop']
}

export function summarize(plan: Plan): PlanSummary {
  const summary: PlanSummary = {
    writes: plan.writes.map((write) => {
      if ('apply' in write) return `apply ${write.apply.kind} ${write.apply.metadata?.name}`
      if ('label' in write) return `label ${write.label.kind} ${write.label.name}`
      return `delete ${write.delete.kind} ${write.delete.name}`
    }),
    conditions: plan.conditions.map((c) => `${c.type} ${c.status} ${c.reason}`),
    messages: plan.conditions.map((c) => c.message),
  }
  if (plan.status) summary.status = plan.status
  if (plan.buildSlot) summary.buildSlot = true
  if (plan.stop) summary.stop = plan.stop
  return summary
}

/**
 * A row like knative's TableRow: the world a plan observes, what the Function asks for when it differs
 * from the table's usual, and the plan it must make (matched, so rows state only what they care about).
 */
export interface Row<O, D> {
  name: string
  observed: O
  desired?: D
  want: Partial<Record<keyof PlanSummary, unknown>>
}

export function planRows<O, D = undefined>(t: Test, rows: Row<O, D>[], planOf: (observed: O, desired: D | undefined) => Plan): void {
  for (const row of rows) {
    t.test(row.name, async (t) => {
      const got = summarize(planOf(row.observed, row.desired))
      t.match(got, row.want)
      // Arrays must match in full: a row that lists no writes means none.
      for (const key of ['writes', 'conditions'] as const) if (key in row.want) t.same(got[key], row.want[key], key)
      if (!('stop' in row.want)) t.equal(got.stop, undefined, 'the pass goes on')
    })
  }
}
