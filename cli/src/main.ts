#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander'
import { spawn } from 'child_process'
import { constants } from 'os'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'fs'
import { request } from 'http'
import { join, relative, resolve } from 'path'
import { findHandler, runtimeSupport, RUNTIMES } from './runtimes'

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a TCP port (1-65535)')
  return port
}

function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`)
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) }
}

function healthy(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (response) => {
      response.resume()
      done(response.statusCode === 200)
    })
    probe.on('error', () => done(false))
    probe.on('timeout', () => probe.destroy())
    probe.end()
  })
}

function dependencyHint(dir: string): string | undefined {
  const manifest = join(dir, 'package.json')
  if (!existsSync(manifest) || existsSync(join(dir, 'node_modules'))) return undefined
  const { dependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> }
  if (!dependencies || Object.keys(dependencies).length === 0) return undefined
  return `the function declares dependencies but ${dir} has no node_modules; run \`npm install --prefix ${dir}\``
}

interface RunOptions {
  runtime?: string
  port: number
  env: Record<string, string>
}

async function run(dirArgument: string, options: RunOptions): Promise<void> {
  const dir = resolve(dirArgument)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dirArgument} is not a folder`)
  const support = runtimeSupport(options.runtime)
  const handlerFile = findHandler(dir, support)
  const hint = dependencyHint(dir)
  if (hint) console.error(`kless: warning: ${hint}`)
  const launch = await support.launch()
  const child = spawn(launch.command, launch.args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...launch.env,
      MOD_NAME: handlerFile.replace(/\.[cm]?js$/, ''),
      FUNC_HANDLER: 'main',
      ...options.env,
      KUBELESS_INSTALL_VOLUME: dir,
      FUNC_PORT: String(options.port),
    },
  })
  // Ctrl-C reaches the whole process group already; forwarding covers signals sent to kless alone.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  let exited = false
  child.on('exit', (code, signal) => {
    exited = true
    process.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0)
  })
  const deadline = Date.now() + 30_000
  while (!exited && !(await healthy(options.port))) {
    if (Date.now() > deadline) {
      console.error(`kless: the function did not become ready on port ${options.port} within 30 s`)
      child.kill('SIGTERM')
      return
    }
    await new Promise((done) => setTimeout(done, 100))
  }
  if (exited) return
  const url = `http://localhost:${options.port}/`
  console.log(`kless: serving ${relative(process.cwd(), dir) || '.'} (${handlerFile}) with ${launch.description} at ${url}`)
  console.log(`kless: try it:  curl -i '${url}'`)
}

function init(dirArgument: string, options: { runtime: string }): void {
  const dir = resolve(dirArgument)
  const support = runtimeSupport(options.runtime)
  const existing = Object.keys(support.starter).filter((file) => existsSync(join(dir, file)))
  if (existing.length > 0) throw new Error(`${dirArgument} already has ${existing.join(', ')}; not overwriting`)
  mkdirSync(dir, { recursive: true })
  for (const [file, content] of Object.entries(support.starter)) writeFileSync(join(dir, file), content)
  console.log(`kless: wrote ${Object.keys(support.starter).join(', ')} to ${dirArgument}; serve it with \`kless run ${dirArgument}\``)
}

const program = new Command('kless').description('Serve kless functions locally, without a cluster').showHelpAfterError()
const runtimeNames = Object.keys(RUNTIMES).join(', ')

program
  .command('run')
  .description('serve a function folder on this machine')
  .argument('<dir>', 'folder with the handler (handler.js) and its package.json')
  .option('--runtime <name>', `run on that runtime's pinned interpreter (${runtimeNames}); default: this machine's Node`)
  .option('--port <port>', 'port to listen on', parsePort, 8080)
  .option('--env <NAME=VALUE>', 'a variable for the function (repeatable)', collectEnv, {})
  .action((dir: string, options: RunOptions) => run(dir, options))

program
  .command('init')
  .description('write a hello function to a folder')
  .argument('<dir>', 'folder to create')
  .option('--runtime <name>', `the runtime it targets (${runtimeNames})`, 'nodejs12')
  .action((dir: string, options: { runtime: string }) => init(dir, options))

program.parseAsync().catch((err: Error) => {
  console.error(`kless: ${err.message}`)
  process.exitCode = 1
})
