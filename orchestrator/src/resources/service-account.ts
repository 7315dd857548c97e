import type { V1ServiceAccount } from '@kubernetes/client-node'
import { LABELS, MANAGED_BY_CONTROLLER } from '../api/types.js'
import { DEFAULT_REGISTRY_SECRET, EXTERNAL_REGISTRY_SECRET } from '../registry/registry.js'
import { withAppliedHash } from './meta.js'

/**
 * The ServiceAccounts Function pods and build pods run as, one pair per namespace. The function account
 * pulls with both registry Secrets, so a registry switch needs no change here. Neither gets an API token: Functions
 * and builds have no business with the API server, so a compromised pod holds no credentials.
 */
export function buildServiceAccount(namespace: string, name: string, purpose: 'function' | 'build'): V1ServiceAccount {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels: { [LABELS.config]: 'service-account', [LABELS.managedBy]: MANAGED_BY_CONTROLLER } },
    automountServiceAccountToken: false,
    ...(purpose === 'function' ? { imagePullSecrets: [{ name: EXTERNAL_REGISTRY_SECRET }, { name: DEFAULT_REGISTRY_SECRET }] } : {}),
  })
}
