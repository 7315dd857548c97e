import type { V1Secret, V1ServiceAccount } from '@kubernetes/client-node'
import { propagatedSecret, resolveRegistry, DEFAULT_REGISTRY_SECRET, EXTERNAL_REGISTRY_SECRET, type Registry } from '../registry/registry.js'
import { buildServiceAccount } from '../resources/service-account.js'
import { Conditions } from './conditions.js'
import { stepOf, type Phase } from './context.js'
import { differs, plan, type Plan } from './plan.js'

export interface NamespaceObserved {
  /** The cluster-wide registry Secrets (none when the Function lives in the system namespace). */
  sources: V1Secret[]
  /** The namespace's Secrets by name: one per source, and the two registry Secrets. */
  secrets: Record<string, V1Secret | undefined>
  /** The user's own serverless-registry-config (label remote-registry=config). */
  userRegistry: V1Secret | undefined
  serviceAccounts: Record<string, V1ServiceAccount | undefined>
}

export interface NamespaceDesired {
  namespace: string
  serviceAccounts: V1ServiceAccount[]
  /** "preparing namespace demo for Function demo/hello", as a failure message starts. */
  step: string
}

/**
 * The Function's namespace: the cluster-wide registry Secrets copied in (unless the namespace pinned its
 * own copy with managed-by: user), the ServiceAccounts build and Function pods run as, and the registry
 * those Secrets name. A registry that cannot be used is ConfigurationReady False.
 */
export function planNamespace(observed: NamespaceObserved, desired: NamespaceDesired): Plan & { registry?: Registry } {
  const copies = observed.sources.flatMap((source) => {
    const copy = propagatedSecret(source, desired.namespace, observed.secrets[source.metadata?.name as string])
    return copy ? [copy] : []
  })
  const accounts = desired.serviceAccounts.filter((account) => differs(observed.serviceAccounts[account.metadata?.name as string], account))
  const writes = [...copies, ...accounts].map((object) => ({ apply: object }))
  // What the namespace holds once the copies are written.
  const secret = (name: string) => copies.find((copy) => copy.metadata?.name === name) ?? observed.secrets[name]
  const resolved = resolveRegistry(observed.userRegistry ?? secret(EXTERNAL_REGISTRY_SECRET), secret(DEFAULT_REGISTRY_SECRET))
  if ('problem' in resolved) return plan({ writes, conditions: [Conditions.sourceUpdateFailed(`${desired.step}: ${resolved.problem}`)], stop: {} })
  return { ...plan({ writes }), registry: resolved.registry }
}

/** Namespace: registry Secrets and ServiceAccounts in place. Fills `pass.registry`. */
export const namespacePhase: Phase = {
  step: (pass) => `preparing namespace ${pass.fn.metadata.namespace}`,
  async run(ctx, pass) {
    const namespace = pass.fn.metadata.namespace as string
    const { credentialSecrets, userRegistrySecrets, serviceAccounts } = ctx.stores
    const sources = namespace === ctx.config.systemNamespace ? [] : credentialSecrets.list(ctx.config.systemNamespace)
    const secrets: NamespaceObserved['secrets'] = {}
    for (const name of [EXTERNAL_REGISTRY_SECRET, DEFAULT_REGISTRY_SECRET]) secrets[name] = credentialSecrets.get(namespace, name)
    for (const source of sources) {
      const name = source.metadata?.name as string
      // A user's own Secret of that name may lack the watched label; never overwrite it unseen.
      secrets[name] = credentialSecrets.get(namespace, name) ?? (await ctx.client.readSecret(namespace, name))
    }
    const accounts = [
      buildServiceAccount(namespace, ctx.config.functionServiceAccount, 'function'),
      buildServiceAccount(namespace, ctx.config.buildServiceAccount, 'build'),
    ]
    const result = planNamespace(
      {
        sources,
        secrets,
        userRegistry: userRegistrySecrets.get(namespace, EXTERNAL_REGISTRY_SECRET),
        serviceAccounts: Object.fromEntries(accounts.map((a) => [a.metadata?.name as string, serviceAccounts.get(namespace, a.metadata?.name as string)])),
      },
      { namespace, serviceAccounts: accounts, step: stepOf(namespacePhase, pass) },
    )
    pass.registry = result.registry
    return result
  },
}
