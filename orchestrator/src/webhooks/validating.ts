/** The validating webhook for Functions and GitRepositories: creates and updates pass the same checks. */
import type { WebhookValues } from '../api/config.js'
import { isMap } from '../api/json.js'
import { GROUP, type Function, type GitRepository } from '../api/types.js'
import { formatFieldErrors, validateFunction, validateGitRepository, type FieldError } from '../api/validation.js'
import { allow, deny, type AdmissionHandler } from './admission.js'

export function resourceValidation(values: WebhookValues): AdmissionHandler {
  return (request) => {
    if (request.kind.group !== GROUP) return allow()
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow()
    if (!isMap(request.object)) return deny(`the request carries no ${request.kind.kind} object`)
    // An object being deleted only loses finalizers; refusing that would leave it stuck in deletion.
    if (isMap(request.object.metadata) && request.object.metadata.deletionTimestamp) return allow()
    let errors: FieldError[]
    if (request.kind.kind === 'Function') errors = validateFunction(request.object as unknown as Function, values)
    else if (request.kind.kind === 'GitRepository') errors = validateGitRepository(request.object as unknown as GitRepository)
    else return allow()
    if (errors.length === 0) return allow()
    return deny(`${request.kind.kind} ${request.namespace ?? ''}/${request.name ?? ''} is invalid: ${formatFieldErrors(errors)}`, 422, 'Invalid')
  }
}
