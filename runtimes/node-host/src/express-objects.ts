import express from 'express'
import { IncomingMessage, ServerResponse } from 'http'

/**
 * Request and response classes for node:http whose prototype chains are Express's own (`app.request`,
 * `app.response`), exactly what Express's init middleware produces with setPrototypeOf — but fixed once at
 * start-up, so a request costs nothing extra and the router and middleware chain never run.
 */
export function expressClasses(): { Request: typeof IncomingMessage; Response: typeof ServerResponse } {
  const app = express()
  const parseQuery = app.get('query parser fn') as (search: string) => unknown
  const query = Symbol('query')
  const locals = Symbol('locals')
  type Slots = Record<symbol, unknown>

  // Express fills req.query in its query middleware; here it is parsed on first read instead.
  const requestLayer = Object.create(app.request, {
    query: {
      configurable: true,
      get(this: IncomingMessage & Slots) {
        if (!(query in this)) {
          const url = this.url || ''
          const mark = url.indexOf('?')
          this[query] = parseQuery(mark < 0 ? '' : url.slice(mark + 1))
        }
        return this[query]
      },
      set(this: Slots, value: unknown) {
        this[query] = value
      },
    },
  })
  const responseLayer = Object.create(app.response, {
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

  class Request extends IncomingMessage {}
  class Response extends ServerResponse {}
  Object.setPrototypeOf(Request.prototype, requestLayer)
  Object.setPrototypeOf(Response.prototype, responseLayer)
  return { Request, Response: Response as typeof ServerResponse }
}
