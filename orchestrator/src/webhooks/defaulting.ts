/** The mutating webhook that fills in a Function's defaults before it is stored. */
import type { WebhookValues } from '../api/config.js'
import { defaultFunction } from '../api/defaults.js'
import { isMap } from '../api/json.js'
import { GROUP, type Function } from '../api/types.js'
import { allow, deny, type AdmissionHandler } from './admission.js'

export function functionDefaulting(values: WebhookValues): AdmissionHandler {
  return (request) => {
    if (request.kind.group !== GROUP || request.kind.kind !== 'Function') return allow()
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow()
    if (!isMap(request.object)) return deny('the request carries no Function object')
    const fn = request.object as unknown as Function
    const defaulted = defaultFunction(fn, values)
    if (JSON.stringify(defaulted.spec) === JSON.stringify(fn.spec)) return allow()
    // "add" replaces an existing member too, so one operation covers a Function with or without a spec.
    return allow([{ op: 'add', path: '/spec', value: defaulted.spec }])
  }
}
