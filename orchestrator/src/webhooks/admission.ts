/**
 * The admission.k8s.io AdmissionReview exchange: an API server posts a review with a request, the webhook answers
 * with the same review carrying a response (allowed, or denied with a status, plus an optional JSON patch).
 */
import { isMap } from '../api/json.js'

export interface GroupVersionKind {
  group: string
  version: string
  kind: string
}

export interface AdmissionRequest {
  uid: string
  kind: GroupVersionKind
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
  name?: string
  namespace?: string
  object?: unknown
  oldObject?: unknown
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove'
  path: string
  value?: unknown
}

export type AdmissionVerdict = { allowed: true; patch?: JsonPatchOperation[] } | { allowed: false; code: number; reason: string; message: string }

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: { code: number; reason: string; message: string }
  patchType?: 'JSONPatch'
  patch?: string
}

export interface AdmissionReview {
  apiVersion: string
  kind: 'AdmissionReview'
  request?: AdmissionRequest
  response?: AdmissionResponse
}

/** Decides one request; pure, so each webhook is testable without a server. */
export type AdmissionHandler = (request: AdmissionRequest) => AdmissionVerdict

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']

export function allow(patch?: JsonPatchOperation[]): AdmissionVerdict {
  return patch && patch.length > 0 ? { allowed: true, patch } : { allowed: true }
}

export function deny(message: string, code = 400, reason = 'BadRequest'): AdmissionVerdict {
  return { allowed: false, code, reason, message }
}

/** Why a body is not an AdmissionReview we can answer, or undefined when it is one. */
function reviewProblem(review: unknown): string | undefined {
  if (!isMap(review)) return 'the body must be a JSON AdmissionReview object'
  if (review.kind !== 'AdmissionReview') return `kind must be AdmissionReview, got ${JSON.stringify(review.kind)}`
  if (!ADMISSION_VERSIONS.includes(review.apiVersion as string)) {
    return `apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}, got ${JSON.stringify(review.apiVersion)}`
  }
  const request = review.request
  if (!isMap(request)) return 'request is missing'
  if (typeof request.uid !== 'string' || request.uid === '') return 'request.uid is missing'
  if (!isMap(request.kind) || typeof request.kind.kind !== 'string') return 'request.kind is missing'
  if (typeof request.operation !== 'string') return 'request.operation is missing'
  return undefined
}

export type ReviewOutcome = { status: 200; review: AdmissionReview } | { status: 400; error: string }

/**
 * Answers a parsed request body. A malformed review is a 400 (the API server treats it as a call failure);
 * a handler that throws denies the request rather than letting a bad object through.
 */
export function answerReview(body: unknown, handler: AdmissionHandler): ReviewOutcome {
  const problem = reviewProblem(body)
  if (problem) return { status: 400, error: problem }
  const { apiVersion, request } = body as AdmissionReview & { request: AdmissionRequest }
  let verdict: AdmissionVerdict
  try {
    verdict = handler(request)
  } catch (error) {
    verdict = deny(`the webhook failed on this object: ${(error as Error).message}`, 500, 'InternalError')
  }
  const response: AdmissionResponse = verdict.allowed
    ? {
        uid: request.uid,
        allowed: true,
        ...(verdict.patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(verdict.patch)).toString('base64') } : {}),
      }
    : { uid: request.uid, allowed: false, status: { code: verdict.code, reason: verdict.reason, message: verdict.message } }
  return { status: 200, review: { apiVersion, kind: 'AdmissionReview', response } }
}
