import { propagatedSecret, resolveRegistry, DEFAULT_REGISTRY_SECRET, EXTERNAL_REGISTRY_SECRET, type Registry } from '../registry/registry.js'
import { appliedHash } from '../resources/meta.js'
import { buildServiceAccount } from '../resources/service-account.js'
import type { ControllerContext } from './context.js'

/**
 * Copies the cluster-wide registry Secrets (system namespace, label config=credentials) into the
 * Function's namespace, where its build Job and pods can use them, unless the namespace pinned its own
 * copy with managed-by: user. Done lazily when a Function there reconciles, and again on every change.
 */
async function propagateCredentials(ctx: ControllerContext, namespace: string): Promise<void> {
  const { credentialSecrets } = ctx.stores
  for (const source of credentialSecrets.list(ctx.config.systemNamespace)) {
    const name = source.metadata?.name as string
    // A user's own Secret of that name may lack the watched label; never overwrite it unseen.
    const existing = credentialSecrets.get(namespace, name) ?? (await ctx.writer.readSecret(namespace, name))
    const copy = propagatedSecret(source, namespace, existing)
    if (copy) credentialSecrets.remember(await ctx.writer.apply(copy))
  }
}

/** The ServiceAccounts build and Function pods run as; pods naming a missing account are refused. */
async function ensureServiceAccounts(ctx: ControllerContext, namespace: string): Promise<void> {
  const { serviceAccounts } = ctx.stores
  for (const [name, purpose] of [
    [ctx.config.functionServiceAccount, 'function'],
    [ctx.config.buildServiceAccount, 'build'],
  ] as const) {
    const desired = buildServiceAccount(namespace, name, purpose)
    if (appliedHash(serviceAccounts.get(namespace, name)) !== appliedHash(desired)) serviceAccounts.remember(await ctx.writer.apply(desired))
  }
}

/** Prepares the Function's namespace (registry Secrets, ServiceAccounts) and returns its registry. */
export async function namespaceRegistry(ctx: ControllerContext, namespace: string): Promise<Registry> {
  if (namespace !== ctx.config.systemNamespace) await propagateCredentials(ctx, namespace)
  await ensureServiceAccounts(ctx, namespace)
  const { credentialSecrets, userRegistrySecrets } = ctx.stores
  const external = userRegistrySecrets.get(namespace, EXTERNAL_REGISTRY_SECRET) ?? credentialSecrets.get(namespace, EXTERNAL_REGISTRY_SECRET)
  return resolveRegistry(namespace, external, credentialSecrets.get(namespace, DEFAULT_REGISTRY_SECRET))
}
