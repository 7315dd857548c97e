import { spawn } from 'child_process'
import { existsSync } from 'fs'
import t from 'tap'
import { startCluster, useSharedCluster } from '../src/cluster'
import { waitFor } from '../src/process'

t.test('test files of one run share a cluster and isolate themselves by namespace', async (t) => {
  const first = await useSharedCluster()
  const second = await useSharedCluster()
  t.equal(second.dir, first.dir, 'the second caller attaches to the running cluster')
  const [a, b] = await Promise.all([first.createNamespace('Shared Test'), second.createNamespace('shared-test')])
  t.teardown(() => Promise.all([first.deleteNamespace(a), first.deleteNamespace(b)]))
  t.not(a, b)
  t.match(a, /^shared-test-[a-z0-9]{5}$/)
  t.ok(await first.isReady())
})

t.test('a cluster stops by itself when its owner process exits', async (t) => {
  const owner = spawn('sleep', ['30'], { stdio: 'ignore' })
  const ownerExited = new Promise((resolve) => owner.on('exit', resolve))
  const cluster = await startCluster({ ownerPid: owner.pid, installCrds: false })
  t.teardown(() => cluster.stop())
  t.ok(await cluster.isReady())
  owner.kill()
  await ownerExited
  await waitFor(
    async () => !existsSync(cluster.dir),
    30_000,
    () => `the reaper to remove ${cluster.dir}`,
  )
  await t.rejects(cluster.api('GET', '/readyz'), /ECONNREFUSED/, 'the API server is gone')
})
