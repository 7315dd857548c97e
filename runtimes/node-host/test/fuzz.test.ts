// Random malformed requests on raw loopback sockets: each gets an answer from the failure catalogue (a 4xx; 500
// only for invalid JSON, as in 1.x), and after every batch /healthz and a normal call still answer, with RSS flat.
import t from 'tap'
import { CATALOGUE } from '../src/failures'
import { fuzzHost, FUZZ_SEED } from './fuzz'
import { functionFolder, RUNTIMES, startHost } from './host'

for (const runtime of RUNTIMES) {
  t.test(`${runtime}: malformed requests get a 4xx from the failure catalogue and the host keeps serving (seed ${FUZZ_SEED})`, async (t) => {
    const fn = functionFolder({ 'handler.js': "module.exports = { main: () => 'ok' }" })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir)
    t.teardown(() => host.stop())
    await fuzzHost(t, { url: host.url, pid: host.child.pid as number }, Object.values(CATALOGUE))
  })
}
