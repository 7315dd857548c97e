import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node'
import type { Log } from '../log.js'
import { isStatus } from '../reconcilers/client.js'

export interface LeaseSettings {
  namespace: string
  name: string
  identity: string
  leaseDurationSeconds: number
}

/** The API wants MicroTime with exactly six fractional digits; the client passes strings through unchanged. */
function microTime(date = new Date()): Date {
  return date.toISOString().replace(/Z$/, '000Z') as unknown as Date
}

function expired(lease: V1Lease, now: number): boolean {
  const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0
  return renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Leader election on a coordination.k8s.io Lease, so two replicas can run and only one reconciles.
 * A replica restarted under the same identity takes its lease back at once. While the API server cannot
 * be reached the leader keeps leading (it cannot be told otherwise, and stepping down would only stop
 * work); when it learns another replica holds the lease, it calls `onLost`.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api
  private stopped = false
  private renewTimer: NodeJS.Timeout | undefined

  constructor(
    kc: KubeConfig,
    private readonly settings: LeaseSettings,
    private readonly log: Log,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api)
  }

  /** Resolves once this replica holds the lease; renews it from then on. */
  async acquire(onLost: () => void): Promise<void> {
    const retryMs = (this.settings.leaseDurationSeconds * 1000) / 3
    while (!this.stopped) {
      try {
        if (await this.tryAcquire()) break
      } catch (err) {
        this.log.warn('leader election failed; retrying', { error: (err as Error).message })
      }
      await sleep(retryMs)
    }
    const renew = async () => {
      if (this.stopped) return
      try {
        if (!(await this.tryAcquire())) {
          this.stopped = true
          onLost()
          return
        }
      } catch (err) {
        this.log.warn('renewing the leader lease failed; still leading', { error: (err as Error).message })
      }
      this.renewTimer = setTimeout(renew, retryMs)
    }
    this.renewTimer = setTimeout(renew, retryMs)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.renewTimer)
  }

  private async tryAcquire(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.settings
    const now = microTime()
    let lease: V1Lease
    try {
      lease = await this.api.readNamespacedLease({ namespace, name })
    } catch (err) {
      if (!isStatus(err, 404)) throw err
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      })
      return true
    }
    const holder = lease.spec?.holderIdentity
    if (holder && holder !== identity && !expired(lease, Date.now())) return false
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1)
    try {
      await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: {
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: holder === identity && lease.spec?.acquireTime ? microTime(new Date(lease.spec.acquireTime)) : now,
            renewTime: now,
            leaseTransitions: transitions,
          },
        },
      })
      return true
    } catch (err) {
      if (isStatus(err, 409)) return false
      throw err
    }
  }
}
