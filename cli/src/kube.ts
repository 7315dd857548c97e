/**
 * The cluster as kubectl finds it: --kubeconfig, else KUBECONFIG, else ~/.kube/config; --context and -n as in kubectl.
 * Requests go straight to the API server's REST paths, which keeps server-side apply, dry runs, the service proxy and
 * log streams one small function each.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { request as httpRequest, type IncomingMessage } from 'node:http'

export interface ClusterOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
}

export interface Reply {
  status: number
  statusText: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/** A response read to its end. */
export function readReply(response: IncomingMessage): Promise<Reply> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    response.on('data', (chunk: Buffer) => chunks.push(chunk))
    response.on('end', () =>
      done({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, body: Buffer.concat(chunks) }),
    )
    response.on('error', fail)
  })
}

/** An API call the server refused: its own message, which names what was wrong. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface Kube {
  /** -n, else the context's namespace, else "default". */
  namespace: string
  server: string
  call(method: string, path: string, options?: { body?: string | Buffer; contentType?: string; headers?: Record<string, string> }): Promise<Reply>
  /** call() that rejects with ApiError unless 2xx, and parses the JSON answer. */
  json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>
  /** A streamed GET (logs with follow=true): each line as it comes; resolves when the server ends it or `signal` aborts. */
  streamLines(path: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<void>
}

export async function connect(options: ClusterOptions): Promise<Kube> {
  // Loaded on first use: the client takes most of a second to load, which commands without a cluster never pay.
  const { KubeConfig } = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig)
  else config.loadFromDefault()
  if (options.context) {
    if (!config.getContextObject(options.context)) throw new Error(`the kubeconfig has no context "${options.context}"`)
    config.setCurrentContext(options.context)
  }
  const cluster = config.getCurrentCluster()
  if (!cluster) throw new Error('no cluster: set KUBECONFIG, pass --kubeconfig, or write ~/.kube/config')
  const namespace = options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default'

  const open = async (method: string, path: string, headers: Record<string, string>) => {
    const url = new URL(path, cluster.server)
    const requestOptions: RequestOptions = { method, headers: { accept: 'application/json', ...headers } }
    await config.applyToHTTPSOptions(requestOptions)
    return (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, requestOptions)
  }
  const failure = (reply: Reply): ApiError => {
    const text = reply.body.toString()
    let message = text
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text
    } catch {
      // not a Status object: the body is the message
    }
    return new ApiError(reply.status, message.trim() || `HTTP ${reply.status}`)
  }

  const kube: Kube = {
    namespace,
    server: cluster.server,
    async call(method, path, { body, contentType, headers = {} } = {}) {
      const sent = await open(method, path, { ...headers, ...(contentType ? { 'content-type': contentType } : {}) })
      return new Promise<Reply>((done, fail) => {
        sent.on('response', (response) => readReply(response).then(done, fail))
        sent.on('error', (err) => fail(new Error(`cannot reach the API server at ${cluster.server}: ${err.message}`)))
        sent.end(body)
      })
    },
    async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
      const reply = await kube.call(method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType })
      if (reply.status < 200 || reply.status > 299) throw failure(reply)
      return JSON.parse(reply.body.toString()) as T
    },
    async streamLines(path, onLine, signal) {
      const sent = await open('GET', path, {})
      let partial = ''
      const onData = (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n')
        partial = lines.pop() ?? ''
        lines.forEach(onLine)
      }
      await new Promise<void>((done, fail) => {
        signal?.addEventListener('abort', () => {
          sent.destroy()
          done()
        })
        sent.on('response', (response) => {
          if ((response.statusCode ?? 0) > 299) {
            return void readReply(response).then((reply) => fail(failure(reply)), fail)
          }
          response.on('data', onData)
          response.on('end', done)
          response.on('error', () => done())
        })
        sent.on('error', (err) => (signal?.aborted ? done() : fail(err)))
        sent.end()
      })
      if (partial) onLine(partial)
    },
  }
  return kube
}

export const functionsPath = (namespace: string, name = '') =>
  `/apis/serverless.kyma-project.io/v1alpha1/namespaces/${namespace}/functions${name ? `/${name}` : ''}`
export const gitRepositoriesPath = (namespace: string, name = '') =>
  `/apis/serverless.kyma-project.io/v1alpha1/namespaces/${namespace}/gitrepositories${name ? `/${name}` : ''}`
export const podsPath = (namespace: string, name = '') => `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ''}`
