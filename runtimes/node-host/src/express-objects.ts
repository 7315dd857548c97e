import { IncomingMessage, ServerResponse } from 'http'

export interface ExpressObjects {
  Request: typeof IncomingMessage
  Response: typeof ServerResponse
  /** Loads Express and puts its prototypes into the chains; a no-op after the first call. */
  load(): void
}

/**
 * Request and response classes for node:http whose prototype chains end in Express's own `app.request` and
 * `app.response` — what Express's init middleware produces with setPrototypeOf, but fixed once, so a request
 * costs nothing extra and Express's router and middleware never run.
 *
 * Express itself (about 17 MB and tens of milliseconds to load) is loaded the first time anything needs it:
 * a function touching an Express member (`req.query`, `req.get`, `res.status`, …), or a return value sent
 * with `res.json`. Until then the chains end in Node's own prototypes, with placeholders for Express's
 * members that load it on first access; loading splices Express's prototypes in for all objects, existing
 * ones too, and removes the placeholders.
 */
// The members Express 4 adds to requests and responses (lib/request.js, lib/response.js). Express 4's API
// is frozen; the host's tests check this list against the pinned express.
export const EXPRESS_REQUEST_MEMBERS = [
  'header',
  'get',
  'accepts',
  'acceptsEncodings',
  'acceptsEncoding',
  'acceptsCharsets',
  'acceptsCharset',
  'acceptsLanguages',
  'acceptsLanguage',
  'range',
  'param',
  'is',
  'protocol',
  'secure',
  'ip',
  'ips',
  'subdomains',
  'path',
  'hostname',
  'host',
  'fresh',
  'stale',
  'xhr',
]
export const EXPRESS_RESPONSE_MEMBERS = [
  'status',
  'links',
  'send',
  'json',
  'jsonp',
  'sendStatus',
  'sendFile',
  'sendfile',
  'download',
  'type',
  'contentType',
  'format',
  'attachment',
  'append',
  'header',
  'set',
  'get',
  'clearCookie',
  'cookie',
  'location',
  'redirect',
  'vary',
  'render',
]

function addPlaceholders(layer: object, members: string[], load: () => void): void {
  for (const name of members) {
    Object.defineProperty(layer, name, {
      configurable: true,
      get(this: Record<string, unknown>) {
        load()
        return this[name]
      },
      set(this: Record<string, unknown>, value: unknown) {
        load()
        this[name] = value
      },
    })
  }
}

/** `asHostWork` runs the load when a function's call meets it, so that it is not counted as the function's time. */
export function expressObjects(asHostWork: (work: () => void) => void = (work) => work()): ExpressObjects {
  const query = Symbol('query')
  const locals = Symbol('locals')
  type Slots = Record<symbol, unknown>
  let parseQuery: ((search: string) => unknown) | undefined

  // Express fills req.query in its query middleware; here it is parsed on first read instead.
  const requestLayer: Record<string, unknown> = Object.create(IncomingMessage.prototype, {
    query: {
      configurable: true,
      get(this: IncomingMessage & Slots) {
        if (!(query in this)) {
          const url = this.url || ''
          const mark = url.indexOf('?')
          load()
          this[query] = (parseQuery as (search: string) => unknown)(mark < 0 ? '' : url.slice(mark + 1))
        }
        return this[query]
      },
      set(this: Slots, value: unknown) {
        this[query] = value
      },
    },
  })
  const responseLayer: Record<string, unknown> = Object.create(ServerResponse.prototype, {
    locals: {
      configurable: true,
      get(this: Slots) {
        if (!(locals in this)) this[locals] = Object.create(null)
        return this[locals]
      },
      set(this: Slots, value: unknown) {
        this[locals] = value
      },
    },
  })

  function load(): void {
    if (!parseQuery) asHostWork(loadExpress)
  }

  function loadExpress(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    const express = require('express') as typeof import('express')
    const app = express()
    for (const name of EXPRESS_REQUEST_MEMBERS) delete requestLayer[name]
    for (const name of EXPRESS_RESPONSE_MEMBERS) delete responseLayer[name]
    Object.setPrototypeOf(requestLayer, app.request)
    Object.setPrototypeOf(responseLayer, app.response)
    parseQuery = app.get('query parser fn') as (search: string) => unknown
  }
  addPlaceholders(requestLayer, EXPRESS_REQUEST_MEMBERS, load)
  addPlaceholders(responseLayer, EXPRESS_RESPONSE_MEMBERS, load)

  class Request extends IncomingMessage {}
  class Response extends ServerResponse {}
  Object.setPrototypeOf(Request.prototype, requestLayer)
  Object.setPrototypeOf(Response.prototype, responseLayer)
  return { Request, Response: Response as typeof ServerResponse, load }
}
