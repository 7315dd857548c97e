import type { V1Service } from '@kubernetes/client-node'
import type { Function } from '../api/types.js'
import { FUNCTION_PORT } from './deployment.js'
import { childMeta, podSelectorLabels, withAppliedHash } from './meta.js'

/** Named exactly like the Function, so it answers at <function>.<namespace>.svc. */
export function buildService(fn: Function): V1Service {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(fn, fn.metadata.name as string),
    spec: {
      selector: podSelectorLabels(fn),
      ports: [{ name: 'http', port: 80, targetPort: FUNCTION_PORT, protocol: 'TCP' }],
    },
  })
}
