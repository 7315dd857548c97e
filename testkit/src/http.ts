import { request } from 'http'

export interface Answer {
  status: number
  body: string
}

export interface CallOptions {
  method?: string
  body?: Buffer
  /** Sent with a body. */
  contentType?: string
  timeoutMs?: number
}

/**
 * One plain-HTTP request on a new connection (no keep-alive), so each goes through the cluster's Service rules
 * afresh; resolves with the status and the body as text, rejects when the request fails or times out.
 */
export function httpCall(url: string, options: CallOptions = {}): Promise<Answer> {
  const { method = 'GET', body, contentType = 'application/json', timeoutMs = 10_000 } = options
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: body ? { 'content-type': contentType, 'content-length': body.length } : {} }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url} timed out`)))
    req.on('error', reject)
    req.end(body)
  })
}
