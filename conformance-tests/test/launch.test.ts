import { createServer, Server } from 'net'
import t, { type Test } from 'tap'
import { start } from '@kless/testkit'
import { launchServer } from '../src/runtimes'

// A real server process: it listens on the port it is given and answers /healthz, or fails as it is told.
const SERVER = `
const port = Number(process.argv[1])
if (process.argv[2] === 'crash') { console.error('kless: no handler'); process.exit(3) }
require('http').createServer((req, res) => res.end('OK')).listen(port, '127.0.0.1')
`

async function occupiedPort(t: Test): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  return (server.address() as { port: number }).port
}

t.test('a server that finds its port taken is started again on another port', async (t) => {
  const taken = await occupiedPort(t)
  const ports: number[] = []
  const running = await launchServer('the test server', (port) => {
    ports.push(port)
    // The first start binds a port another process holds, as when the suite's traffic took it first.
    return start(process.execPath, ['-e', SERVER, String(ports.length === 1 ? taken : port)])
  })
  t.teardown(running.stop)
  t.equal(ports.length, 2)
  t.equal((await fetch(`${running.url}/healthz`)).status, 200)
})

t.test('a server that exits for another reason is reported with its output, not started again', async (t) => {
  let starts = 0
  await t.rejects(
    launchServer('the test server', (port) => {
      starts++
      return start(process.execPath, ['-e', SERVER, String(port), 'crash'])
    }),
    /the test server to answer \/healthz: it exited with 3 first\n--- output ---\nkless: no handler/,
  )
  t.equal(starts, 1)
})
