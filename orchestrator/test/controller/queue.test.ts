import t from 'tap'
import { TerminalError, WorkQueue } from '../../src/controller/queue.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A reconcile that takes 20 ms and records how many ran at the same time. */
function concurrencyProbe() {
  const probe = { running: 0, maxRunning: 0, runs: 0 }
  const reconcile = async () => {
    probe.running++
    probe.maxRunning = Math.max(probe.maxRunning, probe.running)
    probe.runs++
    await sleep(20)
    probe.running--
    return {}
  }
  return { probe, reconcile }
}

t.test('one key never runs twice at once; an add while it runs reruns it once afterwards', async (t) => {
  const { probe, reconcile } = concurrencyProbe()
  const queue = new WorkQueue(reconcile, { workers: 4 })
  queue.add('a')
  await sleep(5)
  queue.add('a')
  queue.add('a')
  await sleep(5)
  await queue.drained()
  t.equal(probe.maxRunning, 1)
  t.equal(probe.runs, 2)
})

t.test('different keys run in parallel up to the worker count', async (t) => {
  const { probe, reconcile } = concurrencyProbe()
  const queue = new WorkQueue(reconcile, { workers: 3 })
  for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key)
  await queue.drained()
  t.equal(probe.maxRunning, 3)
  t.equal(probe.runs, 5)
})

t.test('failures retry with growing backoff; terminal errors do not retry', async (t) => {
  const times: number[] = []
  let terminalRuns = 0
  const outcomes: string[] = []
  const queue = new WorkQueue(
    async (key) => {
      if (key === 'terminal') {
        terminalRuns++
        throw new TerminalError('bad spec')
      }
      times.push(Date.now())
      if (times.length < 3) throw new Error('flaky')
      return {}
    },
    { workers: 2, baseBackoffMs: 20 },
    { onResult: (_key, outcome) => outcomes.push(outcome), onDepth: () => {} },
  )
  queue.add('flaky')
  queue.add('terminal')
  await sleep(200)
  t.equal(times.length, 3)
  t.ok(times[2] - times[1] >= times[1] - times[0], 'the second wait is not shorter than the first')
  t.equal(terminalRuns, 1)
  t.same(outcomes.sort(), ['error', 'error', 'success', 'terminal'])
})

t.test('requeueAfter brings the key back; the earliest scheduled add wins', async (t) => {
  let runs = 0
  const queue = new WorkQueue(async () => (++runs === 1 ? { requeueAfterMs: 30 } : {}), { workers: 1 })
  queue.add('a')
  queue.addAfter('a', 10_000)
  await sleep(80)
  t.equal(runs, 2)
  queue.stop()
})

t.test('a paused queue collects keys and runs them on resume', async (t) => {
  const seen: string[] = []
  const queue = new WorkQueue(async (key) => (seen.push(key), {}), { workers: 1, paused: true })
  queue.add('a')
  queue.add('b')
  await sleep(10)
  t.same(seen, [])
  t.equal(queue.depth, 2)
  queue.resume()
  await queue.drained()
  t.same(seen, ['a', 'b'])
})
