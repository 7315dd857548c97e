import t from 'tap'
import { join } from 'path'
import { withLock } from '../src/lock'

t.test('withLock runs holders of the same lock one at a time', async (t) => {
  const lockFile = join(t.testdir(), 'build.lock')
  const events: string[] = []
  const holder = (name: string) =>
    withLock(lockFile, async () => {
      events.push(`${name} in`)
      await new Promise((resolve) => setTimeout(resolve, 30))
      events.push(`${name} out`)
    })
  await Promise.all([holder('a'), holder('b')])
  t.same(events, ['a in', 'a out', 'b in', 'b out'])
})

t.test('withLock takes over a lock whose holder process is gone', async (t) => {
  const lockFile = join(t.testdir({ 'build.lock': '2147483646' }), 'build.lock')
  let ran = false
  await withLock(lockFile, async () => {
    ran = true
  })
  t.ok(ran)
})
