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
 * a function reading `event.extensions`, or a return value sent with `res.json`. Until then the chains end
 * in Node's own prototypes; loading Express splices its prototypes in for all objects, existing ones too.
 */
export function expressObjects(): ExpressObjects {
  const query = Symbol('query')
  const locals = Symbol('locals')
  type Slots = Record<symbol, unknown>
  let parseQuery: ((search: string) => unknown) | undefined

  // Express fills req.query in its query middleware; here it is parsed on first read instead.
  const requestLayer = Object.create(IncomingMessage.prototype, {
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
  const responseLayer = Object.create(ServerResponse.prototype, {
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
    if (parseQuery) return
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    const express = require('express') as typeof import('express')
    const app = express()
    Object.setPrototypeOf(requestLayer, app.request)
    Object.setPrototypeOf(responseLayer, app.response)
    parseQuery = app.get('query parser fn') as (search: string) => unknown
  }

  class Request extends IncomingMessage {}
  class Response extends ServerResponse {}
  Object.setPrototypeOf(Request.prototype, requestLayer)
  Object.setPrototypeOf(Response.prototype, responseLayer)
  return { Request, Response: Response as typeof ServerResponse, load }
}
