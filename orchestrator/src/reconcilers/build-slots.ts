/**
 * The cluster-wide limit on running builds (functionBuildMaxSimultaneousJobs). Reconciles of different
 * Functions interleave, so a slot is reserved synchronously before the Job is created and released once
 * the Job is visible among the running ones. Functions that found no slot wait in arrival order and are
 * woken (queued again) one per freed slot, rather than all polling.
 */
export class BuildSlots {
  private readonly reserved = new Set<string>()
  private readonly waiting = new Set<string>()

  constructor(
    private readonly max: number,
    private readonly runningBuilds: () => number,
  ) {}

  /** Reserves a slot for `key`; false (and the key is queued to be woken) when all are taken. */
  tryReserve(key: string): boolean {
    if (this.runningBuilds() + this.reserved.size >= this.max) {
      this.waiting.add(key)
      return false
    }
    this.waiting.delete(key)
    this.reserved.add(key)
    return true
  }

  /** The reserved build now shows among the running ones (or was never created). */
  release(key: string): void {
    this.reserved.delete(key)
  }

  /** A build ended or went away: the waiting Functions to wake, as many as there are free slots. */
  buildsChanged(): string[] {
    let free = this.max - this.runningBuilds() - this.reserved.size
    const woken: string[] = []
    for (const key of this.waiting) {
      if (free-- <= 0) break
      this.waiting.delete(key)
      woken.push(key)
    }
    return woken
  }

  forget(key: string): void {
    this.waiting.delete(key)
  }
}
