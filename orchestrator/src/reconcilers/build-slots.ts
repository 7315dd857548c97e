/**
 * The cluster-wide limit on running builds (functionBuildMaxSimultaneousJobs). Reconciles of different
 * Functions interleave, so a slot is reserved synchronously before the Job is created and released once
 * the Job is visible among the running ones. Functions that found no slot wait in arrival order and are
 * woken one per freed slot, rather than all polling.
 */
export class BuildSlots {
  private readonly reserved = new Set<string>()
  private readonly waiting = new Set<string>()

  constructor(
    private readonly max: number,
    private readonly runningBuilds: () => number,
    private readonly wake: (key: string) => void,
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

  /** A build ended or went away: wake as many waiting Functions as there are free slots. */
  buildsChanged(): void {
    let free = this.max - this.runningBuilds() - this.reserved.size
    for (const key of this.waiting) {
      if (free-- <= 0) break
      this.waiting.delete(key)
      this.wake(key)
    }
  }

  forget(key: string): void {
    this.waiting.delete(key)
  }
}
