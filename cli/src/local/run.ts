/**
 * `kless run`: a function served on this machine with hot reload. The author's port belongs to a small proxy; behind
 * it, one host process per version of the folder. An edit starts a new host beside the old one and switches new
 * requests to it once it is healthy; the old one gets SIGTERM, and the host's own graceful stop lets its in-flight
 * requests finish. A file that does not compile is reported and the last good version keeps serving.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { constants } from 'node:os'
import { join, relative } from 'node:path'
import { runtimeInfo } from '@kless/runtime-matrix'
import { hostCommand, INSPECTOR_PORT, type HostCommand } from './host.js'
import { watchTree } from './watch-tree.js'

export interface LocalRunOptions {
  runtime: string
  dir: string
  port: number
  env: Record<string, string>
  inspect: boolean
  watch: boolean
}

const READY_TIMEOUT_MS = 30_000
const SETTLE_MS = 150
// Headers of one connection, not of the message: the proxy has its own connections on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'])
const IGNORED_PATHS = /(^|\/)(node_modules|\.git|__pycache__)(\/|$)|(^|\/)\.[^/]*$|~$|\.sw[px]$/

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer().once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })
}

function healthy(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000, agent: false }, (response) => {
      response.resume()
      done(response.statusCode === 200)
    })
    probe.on('error', () => done(false))
    probe.on('timeout', () => probe.destroy())
    probe.end()
  })
}

/** One host process serving one version of the folder. */
class Backend {
  readonly agent = new Agent({ keepAlive: true })
  readonly exited: Promise<number>

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0))))
  }

  private stopping = false

  /** Starts a host and waits until it is healthy; `unexpectedExit` hears of an exit that stop() did not ask for. */
  static async start(host: HostCommand, options: LocalRunOptions, unexpectedExit: (backend: Backend, code: number) => void): Promise<Backend> {
    const port = await freePort()
    const child = spawn(host.command, host.args, { stdio: 'inherit', env: { ...process.env, ...host.env, ...options.env, FUNC_PORT: String(port) } })
    const backend = new Backend(child, port)
    let exitCode: number | undefined
    void backend.exited.then((code) => {
      exitCode = code
      if (!backend.stopping) unexpectedExit(backend, code)
    })
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!(await healthy(port))) {
      if (exitCode !== undefined) throw new Error(`the host exited with code ${exitCode} before it was ready`)
      if (Date.now() > deadline) {
        await backend.stop()
        throw new Error(`the host was not ready within ${READY_TIMEOUT_MS / 1000} s`)
      }
      await new Promise((done) => setTimeout(done, 50))
    }
    return backend
  }

  /** SIGTERM: the host stops taking connections and lets the requests it holds finish. */
  async stop(): Promise<number> {
    this.stopping = true
    this.child.kill('SIGTERM')
    const code = await this.exited
    this.agent.destroy()
    return code
  }
}

function proxy(backend: () => Promise<Backend>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const target = await backend()
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)))
    const upstream = request({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers, agent: target.agent })
    upstream.on('response', (answer) => {
      const forwarded: OutgoingHttpHeaders = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)))
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwarded)
      answer.pipe(res)
    })
    upstream.on('error', (err) => {
      if (res.headersSent) return void res.destroy()
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`kless: the function's host did not answer: ${err.message}\n`)
    })
    req.pipe(upstream)
  }
}

/** Serves the folder until SIGINT or SIGTERM; resolves with the exit code. */
export async function runLocally(options: LocalRunOptions): Promise<number> {
  const host = await hostCommand(options.runtime, options.dir, { inspect: options.inspect })
  const handler = join(options.dir, runtimeInfo(options.runtime).handlerFile)
  const shown = relative(process.cwd(), options.dir) || '.'
  let onUnexpectedExit = (code: number) => console.error(`kless: the host exited with code ${code}`)
  const start = () => Backend.start(host, options, (backend, code) => backend === latest && onUnexpectedExit(code))
  let latest: Backend | undefined
  let current: Promise<Backend> = start().then((backend) => (latest = backend))
  await current

  const server = createServer(proxy(() => current))
  await new Promise<void>((done, fail) => server.once('error', fail).listen(options.port, () => done()))
  const url = `http://localhost:${options.port}/`
  console.log(`kless: serving ${shown} (${relative(options.dir, handler)}) with ${host.description} at ${url}`)
  if (options.inspect) console.log(`kless: the Node inspector listens on 127.0.0.1:${INSPECTOR_PORT}`)
  console.log(`kless: try it:  curl -i '${url}'`)

  let reloading: Promise<void> = Promise.resolve()
  const reload = async () => {
    const started = Date.now()
    if (existsSync(handler)) {
      const problem = await host.syntaxError(handler)
      if (problem) return console.error(`kless: ${relative(process.cwd(), handler)} does not compile; still serving the last good version\n${problem}`)
    }
    const previous = await current
    // One inspector port: the old host must let go of it before the new one starts.
    if (options.inspect) await previous.stop()
    const next = start().then((backend) => (latest = backend))
    try {
      await next
    } catch (err) {
      console.error(`kless: the new version did not start: ${(err as Error).message}`)
      if (!options.inspect || previous !== latest) return
      // The last good version's host is gone already; serve what there is, as the image would.
      current = start().then((backend) => (latest = backend))
      return
    }
    current = next
    if (!options.inspect) void previous.stop()
    console.log(`kless: reloaded ${shown} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }

  let settle: NodeJS.Timeout | undefined
  const watcher = options.watch
    ? watchTree(
        options.dir,
        (path) => IGNORED_PATHS.test(path),
        () => {
          clearTimeout(settle)
          settle = setTimeout(() => (reloading = reloading.then(reload)), SETTLE_MS)
        },
      )
    : undefined
  if (watcher) console.log(`kless: watching ${shown}; saved changes reload it`)

  return new Promise((done) => {
    const finish = async (code: Promise<number>) => {
      watcher?.close()
      clearTimeout(settle)
      server.close()
      await reloading
      done(await code)
    }
    process.once('SIGINT', () => void finish(current.then((backend) => backend.stop())))
    process.once('SIGTERM', () => void finish(current.then((backend) => backend.stop())))
    onUnexpectedExit = (code) => {
      if (!watcher) return void finish(Promise.resolve(code))
      console.error(`kless: the host exited with code ${code}; the next saved change starts it again`)
    }
  })
}
