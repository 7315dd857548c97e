#!/usr/bin/env node
/** The `kless` command line: the author's loop from `init` and a local `run` to `deploy`, `invoke`, `logs` and back. */
import { join } from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { DEFAULT_RUNTIME, RUNTIME_NAMES } from '@kless/runtime-matrix'
import { deleteFunction } from './commands/delete.js'
import { deploy, type DeployOptions } from './commands/deploy.js'
import { init, type InitOptions } from './commands/init.js'
import { list, status } from './commands/inspect.js'
import { invoke, LOCAL_URL, type InvokeOptions } from './commands/invoke.js'
import { logs, type LogsOptions } from './commands/logs.js'
import { run, type RunOptions } from './commands/run.js'
import { sync } from './commands/sync.js'
import type { ClusterOptions } from './kube.js'
import { collectPair, parsePort, parseSeconds, UsageError } from './usage.js'
import { CONFIG_FILE } from './workspace.js'

const program = new Command('kless')
  .description('Write, run and deploy Kyma Serverless Functions: locally without a cluster, or on one with kless installed')
  .showHelpAfterError()
  .exitOverride()

const example = (...lines: string[]) => `\nExample:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`

function withCluster(command: Command): Command {
  return command
    .option('-n, --namespace <name>', 'the namespace (default: the kubeconfig context\'s, else "default")')
    .option('--kubeconfig <file>', 'the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
}

const print = (text: string) => console.log(text)

program
  .command('init')
  .description('write a new function folder: config.yaml with the handler and its dependency file')
  .argument('[dir]', 'the folder to write', '.')
  .addOption(new Option('--runtime <name>', 'the runtime').choices(RUNTIME_NAMES).default(DEFAULT_RUNTIME))
  .option('--name <name>', "the Function's name (default: the folder's)")
  .option('--namespace <name>', "the namespace to deploy to (default: the kubeconfig context's)")
  .addOption(new Option('--source <type>', 'where the code lives').choices(['inline', 'git']).default('inline'))
  .option('--url <url>', 'for --source git: the repository URL')
  .option('--reference <ref>', 'for --source git: the branch or commit', 'main')
  .option('--base-dir <dir>', 'for --source git: the folder in the repository holding the function', '/')
  .addHelpText(
    'after',
    example(
      'kless init hello --runtime python312',
      'kless init from-git --source git --url https://github.com/kyma-project/examples --base-dir orders-service/function',
    ),
  )
  .action((dir: string, options: InitOptions) => print(init(dir, options)))

program
  .command('run')
  .description("serve a function folder on this machine, on its runtime's exact interpreter and host, reloading on every save")
  .argument('[dir]', 'the function folder (with config.yaml, or just a handler file)', '.')
  .option('--runtime <name>', `the runtime (default: config.yaml's, else from the handler file); one of ${RUNTIME_NAMES.join(', ')}`)
  .option('--port <port>', 'the port to listen on', parsePort, 8080)
  .option('--env <NAME=VALUE>', 'a variable for the function, over config.yaml (repeatable)', collectPair('='), {})
  .option('--inspect', `open the Node inspector on 127.0.0.1:9229`, false)
  .option('--no-watch', 'serve without reloading on changes')
  .addHelpText('after', example('kless run hello', `curl '${LOCAL_URL}?name=you'`))
  .action(async (dir: string, options: RunOptions) => {
    process.exitCode = await run(dir, options)
  })

withCluster(
  program
    .command('deploy')
    .alias('apply')
    .description('apply config.yaml as a Function and follow it until it is ready (exit 0) or fails (exit 1)')
    .argument('[dir]', 'the function folder', '.')
    .option('-f, --filename <file>', `the config file (default: <dir>/${CONFIG_FILE})`)
    .option('--dry-run', 'print what the API server would store, after the webhooks; needs no cluster', false)
    .addOption(new Option('-o, --output <format>', 'the --dry-run format').choices(['yaml', 'json']).default('yaml'))
    .option('--timeout <seconds>', 'how long to wait for the Function to be ready', parseSeconds, 600),
)
  .addHelpText('after', example('kless deploy --filename hello/config.yaml', 'kless deploy hello --dry-run -o yaml'))
  .action((dir: string, options: Omit<DeployOptions, 'filename'> & { filename?: string }) =>
    deploy({ ...options, filename: options.filename ?? join(dir, CONFIG_FILE) }),
  )

withCluster(program.command('list').description("the namespace's Functions, with their printer columns"))
  .addHelpText('after', example('kless list -n demo'))
  .action(async (options: ClusterOptions) => print(await list(options)))

withCluster(program.command('status').description("one Function's conditions, image, replicas and URL").argument('<name>', 'the Function'))
  .addHelpText('after', example('kless status hello -n demo'))
  .action(async (name: string, options: ClusterOptions) => print(await status(name, options)))

withCluster(
  program
    .command('invoke')
    .description(`call a function: a name in the cluster (through the API server), a URL, or by default ${LOCAL_URL} (kless run)`)
    .argument('[target]', 'a Function name, or a URL')
    .option('-X, --method <method>', 'the HTTP method (default: POST with data, else GET)')
    .option('--path <path>', 'the path to call', '/')
    .option('-d, --data <text>', 'the request body')
    .option('--data-file <file>', 'the request body, from a file')
    .option('--content-type <type>', "the body's type (default: application/json when it parses as JSON, else text/plain)")
    .option('-H, --header <NAME:VALUE>', 'a request header (repeatable)', collectPair(':'), {})
    .option('--ce-type <type>', 'send a binary-mode CloudEvent of this type')
    .option('--ce-source <source>', 'the CloudEvent source', 'kless-cli')
    .option('--ce-id <id>', 'the CloudEvent id (default: a new UUID)')
    .option('-v, --verbose', 'print the response headers too', false),
)
  .addHelpText('after', example('kless invoke', 'kless invoke hello -n demo --ce-type order.created --data \'{"id": 7}\''))
  .action(async (target: string | undefined, options: InvokeOptions) => {
    process.exitCode = await invoke(target, options)
  })

withCluster(
  program
    .command('logs')
    .description("a Function's pod logs, each line prefixed by its pod")
    .argument('<name>', 'the Function')
    .option('-f, --follow', 'keep streaming', false)
    .option('--build', 'include the build pods', false)
    .option('--tail <lines>', 'only the last lines of each pod', (value) => parseInt(value, 10)),
)
  .addHelpText('after', example('kless logs hello -n demo -f'))
  .action((name: string, options: LogsOptions) => logs(name, options))

withCluster(
  program
    .command('sync')
    .description('write a deployed Function back to a folder, in the layout init writes')
    .argument('<name>', 'the Function')
    .argument('[dir]', 'the folder (default: ./<name>)'),
)
  .addHelpText('after', example('kless sync hello -n demo'))
  .action(async (name: string, dir: string | undefined, options: ClusterOptions) => print(await sync(name, dir, options)))

withCluster(program.command('delete').description('delete a Function and everything made for it').argument('<name>', 'the Function'))
  .addHelpText('after', example('kless delete hello -n demo'))
  .action(async (name: string, options: ClusterOptions) => print(await deleteFunction(name, options)))

program.parseAsync().catch((err: Error) => {
  if (err instanceof CommanderError) {
    // commander has printed its message already; help and --version are not failures.
    process.exitCode = err.exitCode === 0 ? 0 : 2
    return
  }
  console.error(`kless: ${err.message}`)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
