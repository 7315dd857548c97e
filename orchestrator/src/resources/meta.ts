import { createHash } from 'node:crypto'
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node'
import { API_VERSION, GROUP, LABELS, MANAGED_BY_CONTROLLER, type Function } from '../api/types.js'

/** Annotation holding the hash of what the controller last applied; equal hashes mean nothing to do. */
export const APPLIED_HASH_ANNOTATION = `${GROUP}/applied-hash`

export function sha256(...parts: string[]): string {
  const hash = createHash('sha256')
  parts.forEach((part, index) => {
    if (index > 0) hash.update('-')
    hash.update(part)
  })
  return hash.digest('hex')
}

/** The labels the controller finds its children by. */
export function internalLabels(fn: Function): Record<string, string> {
  return {
    [LABELS.functionName]: fn.metadata.name as string,
    [LABELS.managedBy]: MANAGED_BY_CONTROLLER,
    [LABELS.uuid]: fn.metadata.uid as string,
  }
}

/** Labels of every child: the Function's own labels, with the internal ones winning. */
export function childLabels(fn: Function): Record<string, string> {
  return { ...(fn.metadata.labels ?? {}), ...internalLabels(fn) }
}

/** Pods of the Function's Deployment: these select them, so the user's pod labels can never override them. */
export function podSelectorLabels(fn: Function): Record<string, string> {
  return { ...internalLabels(fn), [LABELS.resource]: 'deployment' }
}

export function controllerReference(fn: Function): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: 'Function',
    name: fn.metadata.name as string,
    uid: fn.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  }
}

// The alphabet and length Kubernetes uses for generateName, so names look as users know them;
// unlike generateName, the suffix is derived from stable inputs, so a controller killed between
// "create" and "observe" finds its object again instead of creating a twin.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
const SUFFIX_LENGTH = 5
const MAX_NAME_LENGTH = 63

export function stableName(prefix: string, ...inputs: string[]): string {
  const digest = createHash('sha256').update(inputs.join('\0')).digest()
  let suffix = ''
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[digest[i] % SUFFIX_ALPHABET.length]
  return `${prefix.slice(0, MAX_NAME_LENGTH - SUFFIX_LENGTH)}${suffix}`
}

/** Metadata shared by every child: namespace, labels, controller owner reference. */
export function childMeta(fn: Function, name: string): V1ObjectMeta {
  return {
    name,
    namespace: fn.metadata.namespace,
    labels: childLabels(fn),
    ownerReferences: [controllerReference(fn)],
  }
}

/** Stamps the object with the hash of its own content (the annotation excluded), for cheap change detection. */
export function withAppliedHash<T extends { metadata?: V1ObjectMeta }>(object: T, hashed: unknown = object): T {
  const hash = sha256(JSON.stringify(hashed))
  object.metadata = { ...object.metadata, annotations: { ...(object.metadata?.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash } }
  return object
}

export function appliedHash(object: { metadata?: V1ObjectMeta } | undefined): string | undefined {
  return object?.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]
}
