import t from 'tap'
import { parseQuantity } from '../../src/api/quantity.js'

t.test('quantities parse to exact nano-units', async (t) => {
  const rows: [string | number, bigint | undefined][] = [
    ['100m', 100_000_000n],
    ['0.1', 100_000_000n],
    [0.5, 500_000_000n],
    ['1', 1_000_000_000n],
    [2, 2_000_000_000n],
    ['64Mi', 64n * 1024n * 1024n * 1_000_000_000n],
    ['1.5Gi', 3n * 512n * 1024n * 1024n * 1_000_000_000n],
    ['1k', 1_000_000_000_000n],
    ['1e3', 1_000_000_000_000n],
    ['1E-3', 1_000_000n],
    ['500u', 500_000n],
    ['1n', 1n],
    ['0.1n', 1n], // rounded up, as the API server does
    ['-1', -1_000_000_000n],
    [' 10m ', 10_000_000n],
    ['', undefined],
    ['abc', undefined],
    ['10 m', undefined],
    ['1mi', undefined],
    ['1e1000', undefined],
    [Number.NaN, undefined],
  ]
  for (const [input, nanos] of rows) t.equal(parseQuantity(input), nanos, JSON.stringify(input))
})

t.test('the same amount written two ways compares equal', async (t) => {
  t.equal(parseQuantity('1100m'), parseQuantity('1.1'))
  t.equal(parseQuantity('1024Ki'), parseQuantity('1Mi'))
  t.ok((parseQuantity('1Gi') as bigint) > (parseQuantity('1G') as bigint))
})
