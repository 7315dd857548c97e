// Random malformed requests on raw loopback sockets, the same generator as the Node host's fuzz test: each gets an
// answer from the failure catalogue (a 4xx; 500 only for invalid JSON), and the host keeps serving with RSS flat.
import t from 'tap'
import { fuzzHost, FUZZ_SEED } from '../../node-host/test/fuzz'
import { pythonCatalogue, RUNTIMES, serving } from './host'

for (const runtime of RUNTIMES) {
  t.test(`${runtime}: malformed requests get a 4xx from the failure catalogue and the host keeps serving (seed ${FUZZ_SEED})`, async (t) => {
    const { host, url } = await serving(runtime, { 'handler.py': 'def main(event, context):\n    return "ok"\n' })
    await fuzzHost(t, { url, pid: host.child.pid as number }, await pythonCatalogue(runtime))
  })
}
