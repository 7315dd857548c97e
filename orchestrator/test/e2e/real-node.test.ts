/**
 * End to end on a real node: the chart installed by helm, the seed's examples applied, kaniko building in Jobs,
 * Functions answering through their Services. One file, one cluster: a machine holds one real node.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { Function } from '../../src/api/types.js'
import { isReady } from '../cluster/harness.js'
import { functionUrl, httpGet, installPlatform, SYSTEM_NAMESPACE, waitForFunctionOnNode } from './platform.js'

const SEED_EXAMPLES = fileURLToPath(new URL('../../../testkit/fixtures/seed-examples/', import.meta.url))
const seedFunction = (file: string) => parse(readFileSync(`${SEED_EXAMPLES}${file}`, 'utf8')) as Function

/** A first build pulls the runtime base and installs npm packages from the registry; the 2-core node is shared. */
const FIRST_BUILD_MS = 300_000

t.test('on a real node with the chart installed', async (t) => {
  const { cluster, timings } = await installPlatform((line) => t.comment(line))
  t.teardown(() => cluster.stop())
  const kubectl = (...args: string[]) => cluster.kubectl(args)

  t.test('the controller, the webhook and the internal registry run as pods of the chart', async (t) => {
    const pods = JSON.parse(await kubectl('get', 'pods', '-n', SYSTEM_NAMESPACE, '-o', 'json')) as { items: { metadata: { labels: Record<string, string> }; status: { phase: string } }[] }
    const components = pods.items.filter((pod) => pod.status.phase === 'Running').map((pod) => pod.metadata.labels['app.kubernetes.io/component']).sort()
    t.same(components, ['controller', 'registry', 'webhook'])
    t.comment(`install: ${JSON.stringify(timings)}`)
  })

  t.test('function-hello-john.yaml: built by kaniko, ready with the seed reasons, answers Hello John through its Service', async (t) => {
    const namespace = await cluster.createNamespace('hello-john')
    const fn = seedFunction('function-hello-john.yaml')
    fn.metadata.namespace = namespace
    const applied = Date.now()
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(fn))
    const ready = await waitForFunctionOnNode(cluster, namespace, fn.metadata.name, isReady, FIRST_BUILD_MS)
    t.comment(`kubectl apply → Running: ${((Date.now() - applied) / 1000).toFixed(1)} s`)
    const reasons = Object.fromEntries((ready.status?.conditions ?? []).map((condition) => [condition.type, condition.reason]))
    t.same(reasons, { ConfigurationReady: 'ConfigMapCreated', BuildReady: 'JobFinished', Running: 'DeploymentReady' })
    const url = await functionUrl(cluster, namespace, fn.metadata.name)
    t.same(await httpGet(url), { status: 200, body: 'Hello John' })
    t.match(await kubectl('get', 'functions', '-n', namespace), /NAME\s+CONFIGURED\s+BUILT\s+RUNNING\s+RUNTIME\s+VERSION\s+AGE\n\S+\s+True\s+True\s+True\s+nodejs12\s+1\s+/)
  })
})
