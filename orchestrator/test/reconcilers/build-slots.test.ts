import t from 'tap'
import { BuildSlots } from '../../src/reconcilers/build-slots.js'

t.test('slots: reserved builds count until they show as running; waiters wake one per free slot, in order', async (t) => {
  let running = 0
  const woken: string[] = []
  const slots = new BuildSlots(2, () => running)
  t.ok(slots.tryReserve('a'))
  t.ok(slots.tryReserve('b'))
  t.notOk(slots.tryReserve('c'), 'both slots are reserved, though no Job shows yet')
  t.notOk(slots.tryReserve('d'))
  slots.release('a')
  slots.release('b')
  running = 2
  woken.push(...slots.buildsChanged())
  t.same(woken, [], 'the two builds now run')
  running = 1
  woken.push(...slots.buildsChanged())
  t.same(woken, ['c'], 'one build ended: the first waiter is woken')
  running = 0
  woken.push(...slots.buildsChanged())
  t.same(woken, ['c', 'd'])
})

t.test('a forgotten waiter (its Function was deleted) is not woken', async (t) => {
  let running = 1
  const woken: string[] = []
  const slots = new BuildSlots(1, () => running)
  t.notOk(slots.tryReserve('gone'))
  slots.forget('gone')
  running = 0
  woken.push(...slots.buildsChanged())
  t.same(woken, [])
})
