import t from 'tap'
import { parseWrk } from '../src/wrk'

const SAMPLE = `Running 5s test @ http://127.0.0.1:8080/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.50us  201.33us   9.80ms   91.02%
    Req/Sec    61.52k     2.10k   64.31k    80.00%
  Latency Distribution
     50%  780.00us
     75%  850.00us
     90%  950.00us
     99%    1.62ms
  306123 requests in 5.00s, 40.57MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  61224.60
Transfer/sec:      8.11MB
`

t.test('parseWrk reads throughput, percentiles in their units, and errors', async (t) => {
  t.same(parseWrk(SAMPLE), { requestsPerSecond: 61224.6, p50Ms: 0.78, p99Ms: 1.62, errors: 7 })
})

t.test('parseWrk rejects output without the figures', async (t) => {
  t.throws(() => parseWrk('wrk: connection refused'), /unexpected wrk output/)
})
