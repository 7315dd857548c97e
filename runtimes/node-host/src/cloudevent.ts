import type * as CloudEventsModule from 'cloudevents'

export class MalformedCloudEvent extends Error {}

/** The attributes a function sees, whatever the content mode the event arrived in. */
export interface EventAttributes {
  type: unknown
  source: unknown
  eventtypeversion: unknown
  specversion: unknown
  id: unknown
  time: unknown
  data: unknown
}

const REQUIRED = ['id', 'source', 'specversion', 'type']
const SPEC_VERSIONS = ['1.0', '0.3']

let sdk: typeof CloudEventsModule | undefined

// Loaded with the first structured or batch event: binary-mode functions never pay for the SDK and its schemas.
function cloudEventsSdk(): typeof CloudEventsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  sdk ??= require('cloudevents') as typeof CloudEventsModule
  return sdk
}

function fromObject(value: unknown, where: string): EventAttributes {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedCloudEvent(`${where} must be a JSON object`)
  }
  const attributes = value as Record<string, unknown>
  // The SDK invents an id and a time when they are missing; the spec requires these four, so check first.
  const missing = REQUIRED.filter((name) => attributes[name] === undefined || attributes[name] === '')
  if (missing.length > 0) throw new MalformedCloudEvent(`${where} lacks the required attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
  // The SDK validates an unknown version against the 0.3 schema and lets it pass.
  if (!SPEC_VERSIONS.includes(String(attributes.specversion))) {
    throw new MalformedCloudEvent(`${where} has specversion ${JSON.stringify(attributes.specversion)}; supported: ${SPEC_VERSIONS.join(', ')}`)
  }
  if (attributes.data !== undefined && attributes.data_base64 !== undefined) {
    throw new MalformedCloudEvent(`${where} has both data and data_base64`)
  }
  try {
    // Validation only: the SDK checks each attribute's type and format against the spec.
    const { CloudEvent } = cloudEventsSdk()
    new CloudEvent({ ...attributes, data: undefined, data_base64: undefined } as ConstructorParameters<typeof CloudEvent>[0])
  } catch (err) {
    throw new MalformedCloudEvent(`${where} is not a valid CloudEvent: ${validationProblems(err)}`)
  }
  return {
    type: attributes.type,
    source: attributes.source,
    eventtypeversion: attributes.eventtypeversion,
    specversion: attributes.specversion,
    id: attributes.id,
    time: attributes.time,
    data: typeof attributes.data_base64 === 'string' ? Buffer.from(attributes.data_base64, 'base64') : attributes.data,
  }
}

interface SchemaProblem {
  keyword?: string
  message?: string
  instancePath?: string
  dataPath?: string
  params?: { format?: string }
}

// The SDK versions pinned per Node report schema problems through different ajv releases; one wording for all.
function validationProblems(err: unknown): string {
  const problems = (err as { errors?: unknown }).errors
  if (!Array.isArray(problems) || problems.length === 0) return String((err as Error).message).split('\n')[0]
  return (problems as SchemaProblem[])
    .map((problem) => {
      const attribute = String(problem.instancePath ?? problem.dataPath ?? '').replace(/^[./]/, '') || 'the event'
      if (problem.keyword === 'format' && problem.params?.format) return `${attribute} must be a ${problem.params.format.replace(/^js-/, '')}`
      return `${attribute} ${String(problem.message).replace(/^should /, 'must ')}`
    })
    .join('; ')
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new MalformedCloudEvent(`${what} is not valid JSON: ${(err as Error).message}`)
  }
}

/** `application/cloudevents+json`: one event, attributes and data in the JSON body. */
export function parseStructured(body: Buffer): EventAttributes {
  return fromObject(parseJson(body, 'the structured-mode CloudEvent'), 'the structured-mode CloudEvent')
}

/** `application/cloudevents-batch+json`: a JSON array of structured events. */
export function parseBatch(body: Buffer): EventAttributes[] {
  const events = parseJson(body, 'the CloudEvents batch')
  if (!Array.isArray(events)) throw new MalformedCloudEvent('the CloudEvents batch must be a JSON array')
  if (events.length === 0) throw new MalformedCloudEvent('the CloudEvents batch is empty')
  return events.map((event, index) => fromObject(event, `event ${index} of the batch`))
}
