// A body over REQ_MB_LIMIT is refused while the client is still sending it; the client must still read the 413
// (the host stops reading, answers with Connection: close and drains instead of resetting the connection). A body
// that stops arriving is refused when its time is up.
import t from 'tap'
import { sendRaw } from './fuzz'
import { functionFolder, startHost } from './host'

const CLIENTS = 10

for (const runtime of ['nodejs10', 'nodejs20'] as const) {
  t.test(`${runtime}: a client still sending a body over REQ_MB_LIMIT reads its 413`, async (t) => {
    const fn = functionFolder({ 'handler.js': "module.exports = { main: () => 'ok' }" })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir)
    t.teardown(() => host.stop())
    const port = Number(new URL(host.url).port)
    const heads = {
      'a declared Content-Length': `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${512 * 1024 * 1024}\r\n\r\n`,
      'a chunked body': 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n10000000\r\n',
    }
    for (const [framing, head] of Object.entries(heads)) {
      const answers = await Promise.all(Array.from({ length: CLIENTS }, () => sendRaw(port, Buffer.from(head), { keepSending: true, timeoutMs: 10_000 })))
      const seen = answers.map((answer) => `${answer.status} ${answer.body} ${answer.error ?? ''}`.trim())
      t.same(
        seen,
        Array(CLIENTS).fill('413 Payload Too Large: the body exceeds REQ_MB_LIMIT (1048576 bytes)'),
        `${framing}: every client reads the 413, no reset or broken pipe first`,
      )
    }
    t.equal(await (await fetch(`${host.url}/`)).text(), 'ok', 'the host keeps serving')
  })
}

t.test('nodejs20: a body that stops arriving gets its 408 about 30 s after the request began', async (t) => {
  const fn = functionFolder({ 'handler.js': "module.exports = { main: () => 'ok' }" })
  t.teardown(fn.remove)
  const host = await startHost('nodejs20', fn.dir)
  t.teardown(() => host.stop())
  const port = Number(new URL(host.url).port)
  const began = Date.now()
  const answer = await sendRaw(port, Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nabc'), {
    timeoutMs: 40_000,
  })
  const seconds = (Date.now() - began) / 1000
  t.equal(`${answer.status} ${answer.body}`, '408 Request Timeout: the body did not arrive within 30 s')
  t.ok(seconds >= 30 && seconds < 32, `answered after ${seconds.toFixed(1)} s`)
  t.equal(await (await fetch(`${host.url}/`)).text(), 'ok', 'the host keeps serving')
})
