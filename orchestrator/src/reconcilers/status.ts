import { CONDITION_REASONS, type Condition, type ConditionStatus, type ConditionType, type Function, type FunctionStatus } from '../api/types.js'

/** The seed's reasons for one condition type. */
export type ReasonOf<T extends ConditionType> = (typeof CONDITION_REASONS)[T][number]

/**
 * A condition change made during one reconcile; each one also becomes a Kubernetes Event.
 * One member per condition type, so a reason of another type does not compile.
 */
export type ConditionChange = {
  [T in ConditionType]: { type: T; status: ConditionStatus; reason: ReasonOf<T>; message: string }
}[ConditionType]

function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  return a?.status === b?.status && a?.reason === b?.reason && a?.message === b?.message
}

/**
 * Puts a condition first in the list, replacing the one of its type, as the original controller does,
 * so the newest news reads first. An unchanged condition keeps its place and transition time.
 */
export function withCondition(conditions: Condition[], change: ConditionChange, now: string): Condition[] {
  const current = conditions.find((c) => c.type === change.type)
  const next: Condition = { type: change.type, status: change.status, reason: change.reason, message: change.message }
  if (sameCondition(current, next)) return conditions
  next.lastTransitionTime = now
  return [next, ...conditions.filter((c) => c.type !== change.type)]
}

export function conditionOf(fn: Function, type: ConditionType): Condition | undefined {
  return fn.status?.conditions?.find((c) => c.type === type)
}

/** Whether two statuses say the same thing (transition times aside). */
export function sameStatus(a: FunctionStatus | undefined, b: FunctionStatus): boolean {
  const conditions = (s: FunctionStatus | undefined) => JSON.stringify((s?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]))
  return (
    conditions(a) === conditions(b) &&
    a?.source === b.source &&
    a?.runtime === b.runtime &&
    a?.commit === b.commit &&
    a?.reference === b.reference &&
    a?.baseDir === b.baseDir
  )
}

/** Collects the status one reconcile arrives at, starting from what the Function reports now. */
export class StatusDraft {
  readonly changes: ConditionChange[] = []
  status: FunctionStatus

  constructor(
    fn: Function,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.status = {
      ...fn.status,
      conditions: [...(fn.status?.conditions ?? [])],
      source: fn.spec.source,
    }
  }

  /** Takes a change from `Conditions`; a change equal to the current condition is not news. */
  set(change: ConditionChange): void {
    const before = this.status.conditions ?? []
    const after = withCondition(before, change, this.now())
    if (after !== before) this.changes.push(change)
    this.status.conditions = after
  }

  get(type: ConditionType): Condition | undefined {
    return this.status.conditions?.find((c) => c.type === type)
  }
}
