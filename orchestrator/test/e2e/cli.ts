/**
 * The author's CLI against the platform on a real node: the loop a user runs (deploy with progress, invoke, change,
 * deploy, invoke, logs, sync, delete), --dry-run against what the API server stores, and broken configs.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Cluster } from '@kless/testkit'
import type { Test } from 'tap'
import { parse } from 'yaml'
import type { Function } from '../../src/api/types.js'
import { childrenLeft } from './platform.js'

const CLI = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url))
const execute = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Fields the API server sets on every object; what the user and the webhooks decide is the rest. */
function userFields(fn: Function): Function {
  const { uid, resourceVersion, generation, creationTimestamp, managedFields, ...metadata } = fn.metadata
  void [uid, resourceVersion, generation, creationTimestamp, managedFields]
  return { apiVersion: fn.apiVersion, kind: fn.kind, metadata, spec: fn.spec }
}

export async function cliScenario(t: Test, cluster: Cluster): Promise<void> {
  const namespace = await cluster.createNamespace('cli')
  const home = mkdtempSync(join(tmpdir(), 'kless-cli-e2e-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const kless = (...args: string[]): Promise<Outcome> =>
    execute(process.execPath, [CLI, ...args], { cwd: home, env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath }, maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    )
  const config = join(home, 'greeter', 'config.yaml')
  const handler = join(home, 'greeter', 'handler.js')

  t.test('deploy shows the conditions and the build log as they come, and exits 0 when the Function is ready', async (t) => {
    t.equal((await kless('init', 'greeter', '--runtime', 'nodejs20', '--namespace', namespace)).code, 0)
    const deployed = await kless('deploy', '--filename', config, '--timeout', '600')
    t.comment(deployed.stdout)
    t.equal(deployed.code, 0, deployed.stderr)
    t.match(deployed.stdout, /BuildReady\s+JobRunning/)
    t.match(deployed.stdout, /build \| .*(kaniko|Pushing|Unpacking|Taking snapshot)/i, `the executor's log is streamed ${deployed.stderr}`)
    t.match(deployed.stdout, /Running\s+DeploymentReady/)
    t.match(deployed.stdout, `Function ${namespace}/greeter is ready`)
  })

  t.test('invoke reaches it through the API server, as a plain call and as a CloudEvent', async (t) => {
    const plain = await kless('invoke', 'greeter', '-n', namespace, '--path', '/?name=cli')
    t.same([plain.code, plain.stdout, plain.stderr.trim()], [0, 'Hello cli from main on nodejs20!', 'HTTP 200'])
    const event = await kless('invoke', 'greeter', '-n', namespace, '--ce-type', 'order.created', '--data', '{"id": 7}', '-v')
    t.equal(event.code, 0)
    t.match(event.stderr, /content-type: /)
  })

  t.test('a changed source deployed again is what invoke gets, and logs shows the call', async (t) => {
    writeFileSync(handler, "module.exports = { main: (event) => { console.log('called with', event.data.id); return 'order ' + event.data.id } }\n")
    const redeployed = await kless('deploy', '--filename', config)
    t.equal(redeployed.code, 0, redeployed.stderr)
    t.match(redeployed.stdout, /BuildReady\s+Job(Running|Finished)/, 'the change is built')
    const answer = await kless('invoke', 'greeter', '-n', namespace, '--data', '{"id": 42}')
    t.same([answer.code, answer.stdout], [0, 'order 42'])
    const logs = await kless('logs', 'greeter', '-n', namespace)
    t.match(logs.stdout, /^greeter-\S+ \| called with 42$/m)
  })

  t.test('status and list print the printer columns and the conditions', async (t) => {
    const listed = await kless('list', '-n', namespace)
    t.comment(listed.stdout)
    t.match(listed.stdout, /^NAME\s+CONFIGURED\s+BUILT\s+RUNNING\s+RUNTIME\s+VERSION\s+AGE\n^greeter\s+True\s+True\s+True\s+nodejs20\s+2\s+\d+/m)
    const status = await kless('status', 'greeter', '-n', namespace)
    t.comment(status.stdout)
    t.match(status.stdout, /Running\s+True\s+DeploymentReady/)
    t.match(status.stdout, /replicas: +1\/1 ready/)
    t.match(status.stdout, /image: +\S+greeter/)
  })

  t.test('sync writes the deployed Function back: the same code and deps, and a config.yaml that deploys it unchanged', async (t) => {
    const synced = await kless('sync', 'greeter', join(home, 'synced'), '-n', namespace)
    t.equal(synced.code, 0, synced.stderr)
    t.equal(readFileSync(join(home, 'synced', 'handler.js'), 'utf8'), readFileSync(handler, 'utf8'))
    t.equal(readFileSync(join(home, 'synced', 'package.json'), 'utf8'), readFileSync(join(home, 'greeter', 'package.json'), 'utf8'))
    const again = await kless('deploy', join(home, 'synced'))
    t.match(again.stdout, 'is unchanged and ready')
  })

  t.test('--dry-run -o json is what the API server stores for the same config', async (t) => {
    const dryRun = await kless('deploy', '--filename', config, '--dry-run', '-o', 'json')
    t.equal(dryRun.code, 0, dryRun.stderr)
    const stored = JSON.parse(await cluster.kubectl(['get', 'function', '-n', namespace, 'greeter', '-o', 'json'])) as Function
    t.same(JSON.parse(dryRun.stdout), userFields(stored))
  })

  // The CRD's schema refuses a runtime outside its enum before any webhook sees it; the webhook refuses the rest.
  const broken: [string, (text: string) => string, RegExp, 'schema' | 'webhook'][] = [
    ['an unknown runtime', (text) => text.replace('runtime: nodejs20', 'runtime: nodejs9'), /spec\.runtime.*nodejs9/, 'schema'],
    ['a reserved env name', (text) => `${text}env:\n  - name: FUNC_PORT\n    value: "9"\n`, /spec\.env.*FUNC_PORT/, 'webhook'],
    ['requests above limits', (text) => `${text}resources:\n  requests: {cpu: 500m}\n  limits: {cpu: 100m}\n`, /spec\.resources/, 'webhook'],
  ]
  for (const [name, breakIt, field, refusedBy] of broken) {
    t.test(`a config with ${name} exits 1 naming the field, in a dry run and on the cluster (refused by the ${refusedBy})`, async (t) => {
      const file = join(home, 'greeter', `broken-${name.replace(/\W+/g, '-')}.yaml`)
      writeFileSync(file, breakIt(readFileSync(config, 'utf8').replace('name: greeter', 'name: broken')))
      const offline = await kless('deploy', '--filename', file, '--dry-run')
      const online = await kless('deploy', '--filename', file)
      t.same([offline.code, online.code], [1, 1])
      const message = offline.stderr.replace(/^kless: /, '').trim()
      t.match(message, field)
      t.match(online.stderr, field)
      if (refusedBy === 'webhook') t.ok(online.stderr.includes(message), `the API server's denial carries the dry run's message:\n${online.stderr}`)
    })
  }

  t.test('delete removes the Function and everything made for it', async (t) => {
    const uid = (parse(await cluster.kubectl(['get', 'function', '-n', namespace, 'greeter', '-o', 'yaml'])) as Function).metadata.uid as string
    const deleted = await kless('delete', 'greeter', '-n', namespace)
    t.same([deleted.code, deleted.stdout.trim()], [0, `kless: deleted Function ${namespace}/greeter`])
    const gone = Date.now() + 60_000
    while ((await childrenLeft(cluster, namespace, uid)).length > 0 && Date.now() < gone) await new Promise((done) => setTimeout(done, 500))
    t.same(await childrenLeft(cluster, namespace, uid), [])
    t.equal((await kless('delete', 'greeter', '-n', namespace)).code, 1, 'a second delete says it does not exist')
  })
}
