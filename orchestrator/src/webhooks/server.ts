/**
 * The HTTPS server the API server calls: one path per webhook, plus /healthz. Every well-formed review gets an
 * AdmissionReview back; bodies are bounded and requests time out well inside the API server's 10 s budget.
 */
import { createServer, type Server } from 'https'
import type { IncomingMessage, ServerResponse } from 'http'
import type { AddressInfo } from 'net'
import type { WebhookValues } from '../api/config.js'
import { answerReview, type AdmissionHandler } from './admission.js'
import { functionDefaulting } from './defaulting.js'
import { registrySecretMutation } from './registry-secret.js'
import { resourceValidation } from './validating.js'

/** etcd stores objects up to 1.5 MiB; a review carries the object twice (object and oldObject) plus its envelope. */
const MAX_BODY_BYTES = 4 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 9_000

export const WEBHOOK_PATHS = {
  defaulting: '/defaulting',
  validation: '/validation',
  registrySecret: '/registry-secret',
} as const

export function webhookRoutes(values: WebhookValues): Record<string, AdmissionHandler> {
  return {
    [WEBHOOK_PATHS.defaulting]: functionDefaulting(values),
    [WEBHOOK_PATHS.validation]: resourceValidation(values),
    [WEBHOOK_PATHS.registrySecret]: registrySecretMutation(),
  }
}

export interface ServingCertificate {
  cert: string
  key: string
}

export interface WebhookServer {
  port: number
  /** Serves new connections with another certificate (after a rotation); open connections keep theirs. */
  useCertificate(certificate: ServingCertificate): void
  close(): Promise<void>
}

function reply(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  response.end(body)
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data')
        request.resume()
        resolve('too large')
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

async function serve(routes: Record<string, AdmissionHandler>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  if (path === '/healthz') return reply(response, request.method === 'GET' || request.method === 'HEAD' ? 200 : 405, 'ok\n')
  const handler = routes[path]
  if (!handler) return reply(response, 404, `no webhook at ${path}; webhooks: ${Object.keys(routes).join(', ')}\n`)
  if (request.method !== 'POST') return reply(response, 405, 'admission reviews are POSTed\n')
  const body = await readBody(request)
  if (body === 'too large') return reply(response, 413, `an AdmissionReview is at most ${MAX_BODY_BYTES} bytes\n`)
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    return reply(response, 400, `the body is not JSON: ${(error as Error).message}\n`)
  }
  const outcome = answerReview(parsed, handler)
  if (outcome.status === 400) return reply(response, 400, `${outcome.error}\n`)
  reply(response, 200, JSON.stringify(outcome.review), 'application/json')
}

export function startWebhookServer(options: {
  host: string
  port: number
  certificate: ServingCertificate
  routes: Record<string, AdmissionHandler>
  onError?: (error: Error) => void
}): Promise<WebhookServer> {
  const server: Server = createServer({ ...options.certificate, minVersion: 'TLSv1.2' }, (request, response) => {
    serve(options.routes, request, response).catch((error: Error) => {
      options.onError?.(error)
      if (!response.headersSent) reply(response, 500, 'internal error\n')
      else response.destroy()
    })
  })
  server.requestTimeout = REQUEST_TIMEOUT_MS
  server.headersTimeout = REQUEST_TIMEOUT_MS
  // Failed handshakes (clients that do not trust our CA) are normal; they must not take the server down.
  server.on('tlsClientError', () => {})
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve({
        port: (server.address() as AddressInfo).port,
        useCertificate: (certificate) => server.setSecureContext({ ...certificate, minVersion: 'TLSv1.2' }),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeIdleConnections()
          }),
      })
    })
  })
}
