// The whole test suite: lint, then every tap test file in the repository (tap runs files in
// parallel, one job per core). Ends with a plain "N passed, N failed" line for CI runners.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

function run(cmd, args, onLine = () => {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let pending = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      lines.forEach(onLine)
    })
    child.on('exit', (code) => {
      if (pending) onLine(pending)
      resolve(code ?? 1)
    })
  })
}

let passed = 0
let failed = 0

console.log('# lint')
if ((await run(bin('eslint'), ['.'])) === 0) passed++
else failed++

// tap's own summary line: "# { total: 12, pass: 11, fail: 1, skip: … }"
let summary = null
const tapArgs = ['--reporter=tap', ...process.argv.slice(2)]
const tapCode = await run(bin('tap'), tapArgs, (line) => {
  const match = /^# \{ (.*) \}$/.exec(line)
  if (match) summary = Object.fromEntries(match[1].split(', ').map((kv) => kv.split(': ')).map(([k, v]) => [k, Number(v)]))
})
if (summary) {
  passed += summary.pass ?? 0
  failed += summary.fail ?? 0
}
if (tapCode !== 0 && !(summary && summary.fail)) failed++

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
