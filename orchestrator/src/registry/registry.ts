import type { V1Secret } from '@kubernetes/client-node'
import { LABELS } from '../api/types.js'

export const EXTERNAL_REGISTRY_SECRET = 'serverless-registry-config'
export const DEFAULT_REGISTRY_SECRET = 'serverless-registry-config-default'

/** The registry a namespace's builds push to and its kubelets pull from. */
export interface Registry {
  /** The Secret (in the Function's namespace) with the .dockerconfigjson the build and the pulls use. */
  secretName: string
  pushAddress: string
  pullAddress: string
}

function field(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim()
}

/**
 * The registry of a namespace, from the Secrets in it: the user's `serverless-registry-config` wins over
 * the propagated `serverless-registry-config-default`. An internal default registry is pushed to at its
 * in-cluster address and pulled from at the address kubelets reach (serverAddress). A missing or
 * incomplete Secret gives the problem, naming the Secret (the caller names the namespace).
 */
export function resolveRegistry(external: V1Secret | undefined, fallback: V1Secret | undefined): { registry: Registry } | { problem: string } {
  const secret = external ?? fallback
  if (!secret) return { problem: `Docker registry configuration not found: neither Secret ${EXTERNAL_REGISTRY_SECRET} nor ${DEFAULT_REGISTRY_SECRET} exists` }
  const name = secret.metadata?.name as string
  const registryAddress = field(secret, 'registryAddress')
  if (!registryAddress) return { problem: `Secret ${name} has no registryAddress` }
  const internal = secret === fallback && field(secret, 'isInternal') === 'true'
  const serverAddress = field(secret, 'serverAddress')
  if (internal && !serverAddress) return { problem: `Secret ${name} is internal but has no serverAddress` }
  return { registry: { secretName: name, pushAddress: registryAddress, pullAddress: internal ? (serverAddress as string) : registryAddress } }
}

/** Whether the user pinned this namespace's copy, so the cluster-wide one must not overwrite it. */
export function isUserManaged(secret: V1Secret | undefined): boolean {
  return secret?.metadata?.labels?.[LABELS.managedBy] === 'user'
}

/**
 * The namespace copy of a cluster-wide registry Secret (system namespace, label config=credentials),
 * or undefined when the namespace's own copy is user-managed or already equal.
 */
export function propagatedSecret(source: V1Secret, namespace: string, existing: V1Secret | undefined): V1Secret | undefined {
  if (isUserManaged(existing)) return undefined
  const copy: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: source.type,
    metadata: {
      name: source.metadata?.name,
      namespace,
      labels: source.metadata?.labels,
      annotations: source.metadata?.annotations,
    },
    data: source.data,
  }
  const same =
    existing &&
    existing.type === copy.type &&
    JSON.stringify(existing.data ?? {}) === JSON.stringify(copy.data ?? {}) &&
    JSON.stringify(existing.metadata?.labels ?? {}) === JSON.stringify(copy.metadata?.labels ?? {})
  return same ? undefined : copy
}
