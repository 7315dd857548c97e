import t from 'tap'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const FIXTURE = fileURLToPath(new URL('fixtures/wrong-reason.ts', import.meta.url))

t.test('a reason of another condition type does not compile', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc')
  const args = [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', FIXTURE]
  const output = await new Promise<string>((resolve) => execFile(process.execPath, args, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)))
  const errors = output.split('\n').filter((line) => line.includes('error TS'))
  t.equal(errors.length, 1, output)
  t.match(errors[0], /wrong-reason\.ts\(5,\d+\): error TS2322/, 'on the line of the wrong pairing')
  t.match(output, `Type '"JobCreated"' is not assignable`)
})
