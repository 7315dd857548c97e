import { IncomingMessage, ServerResponse } from 'http'
import { CATALOGUE, errorText, sendFailure } from './failures'
import { FunctionMetrics } from './metrics'

// Preflight answer when the request names no method, instead of 1.x's literal "undefined".
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'

/** The path of a request target, without the query. */
export function pathOf(url: string): string {
  const mark = url.indexOf('?')
  return mark < 0 ? url : url.slice(0, mark)
}

function answerHealth(res: ServerResponse): void {
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.end('OK')
}

function answerMetrics(metrics: FunctionMetrics, res: ServerResponse): void {
  metrics.exposition().then(
    ({ contentType, text }) => {
      res.setHeader('Content-Type', contentType)
      res.end(text)
    },
    (err) => {
      console.error(`Metrics failed: ${errorText(err)}`)
      sendFailure(res, CATALOGUE.hostFailed)
    },
  )
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Allow-Methods', req.headers['access-control-request-method'] || ALLOWED_METHODS)
  const requested = req.headers['access-control-request-headers']
  if (requested) res.setHeader('Access-Control-Allow-Headers', requested)
  res.setHeader('Content-Length', '0')
  res.end()
}

/**
 * Answers what the platform itself serves: /healthz, /metrics, CORS preflight, and targets that name no path.
 * Returns false for every other request, which goes to the function. Routing looks at the path only.
 */
export function answerPlatform(req: IncomingMessage, res: ServerResponse, metrics: FunctionMetrics): boolean {
  const method = req.method
  const url = req.url as string
  if (method === 'OPTIONS') {
    answerPreflight(req, res)
    return true
  }
  if (url.charCodeAt(0) !== 47 /* / */ && !/^https?:\/\//i.test(url)) {
    // `*` (meant for OPTIONS) and other targets that are neither a path nor an absolute URL.
    sendFailure(res, CATALOGUE.badTarget)
    return true
  }
  if (method !== 'GET' && method !== 'HEAD') return false
  const path = pathOf(url)
  if (path === '/healthz') answerHealth(res)
  else if (path === '/metrics') answerMetrics(metrics, res)
  else return false
  return true
}
