/**
 * `kless invoke`: one call to a function, local (`kless run`'s URL, the default) or in the cluster through the API
 * server's service proxy, so no port-forward is needed. A plain request, or a binary-mode CloudEvent with --ce-type.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, readReply, type ClusterOptions, type Reply } from '../kube.js'
import { dim } from '../output.js'
import { UsageError } from '../usage.js'

export interface InvokeOptions extends ClusterOptions {
  method?: string
  path: string
  data?: string
  dataFile?: string
  contentType?: string
  header: Record<string, string>
  ceType?: string
  ceSource: string
  ceId?: string
  verbose: boolean
}

export const LOCAL_URL = 'http://localhost:8080/'

function requestHeaders(options: InvokeOptions, body: Buffer | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...options.header }
  if (body) headers['content-type'] = options.contentType ?? (isJson(body) ? 'application/json' : 'text/plain')
  if (options.ceType) {
    Object.assign(headers, { 'ce-specversion': '1.0', 'ce-type': options.ceType, 'ce-source': options.ceSource, 'ce-id': options.ceId ?? randomUUID() })
  }
  return headers
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString())
    return true
  } catch {
    return false
  }
}

function callUrl(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Reply> {
  return new Promise((done, fail) => {
    const sent = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (response) => readReply(response).then(done, fail))
    sent.on('error', (err) => fail(new Error(`cannot reach ${url.href}: ${err.message}`)))
    sent.end(body)
  })
}

/** Calls the target; prints the status line (and headers with -v) on stderr and the body on stdout. Exit 1 for a 4xx/5xx. */
export async function invoke(target: string | undefined, options: InvokeOptions): Promise<number> {
  if (options.data !== undefined && options.dataFile !== undefined) throw new UsageError('give --data or --data-file, not both')
  const body = options.dataFile !== undefined ? readFileSync(options.dataFile) : options.data !== undefined ? Buffer.from(options.data) : undefined
  const method = (options.method ?? (body ? 'POST' : 'GET')).toUpperCase()
  const headers = requestHeaders(options, body)
  const path = options.path.startsWith('/') ? options.path : `/${options.path}`
  let answer: Reply
  if (target === undefined || /^https?:\/\//.test(target)) {
    answer = await callUrl(new URL(path.slice(1), target ?? LOCAL_URL), method, headers, body)
  } else {
    const kube = await connect(options)
    const proxied = await kube.call(method, `/api/v1/namespaces/${kube.namespace}/services/${target}:http/proxy${path}`, { body, headers })
    // The reason phrase through the proxy is the API server's, not the function's: only the status is shown.
    answer = { ...proxied, statusText: '' }
  }
  console.error(`HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`)
  if (options.verbose)
    for (const [name, value] of Object.entries(answer.headers)) console.error(dim(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`))
  process.stdout.write(answer.body)
  if (answer.body.length > 0 && !answer.body.toString().endsWith('\n') && process.stdout.isTTY) process.stdout.write('\n')
  return answer.status >= 400 ? 1 : 0
}
