// The whole test suite: lint, then every tap test file in the repository (tap runs files in
// parallel, one job per core). Ends with a plain "N passed, N failed" line for CI runners.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

function run(cmd, args, onLine = () => {}, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
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

// tap's own summary line: "# { total: 12, pass: 11, fail: 1, skip: … }"
let summary = null
const files = []
// Where each failure is, as "file > subtest > assertion": a long run's log is read from its tail.
const subtests = []
const failures = []
// The same two checks as `npm run lint`, each one result: a linter, and the formatter in check mode.
for (const [tool, args] of [
  ['eslint', ['.']],
  ['prettier', ['--check', '**/*.{ts,mjs,js}']],
]) {
  console.log(`# lint: ${tool}`)
  if ((await run(bin(tool), args)) === 0) passed++
  else {
    failed++
    failures.push(`${tool} ${args.join(' ')}`)
  }
}

const tapArgs = ['--reporter=tap', ...process.argv.slice(2)]
// The bootstrap prepared the cache; a test that would build a tool fails with a message instead.
const tapEnv = { ...process.env, KLESS_CACHE_READ_ONLY: '1' }
const tapCode = await run(
  bin('tap'),
  tapArgs,
  (line) => {
    const match = /^# \{ (.*) \}$/.exec(line)
    if (match)
      summary = Object.fromEntries(
        match[1]
          .split(', ')
          .map((kv) => kv.split(': '))
          .map(([k, v]) => [k, Number(v)]),
      )
    const file = /^(?:not )?ok \d+ - (\S+) # time=([\d.]+)ms/.exec(line)
    if (file) files.push({ name: file[1], ms: Number(file[2]) })
    const subtest = /^( *)# Subtest: (.*)$/.exec(line)
    if (subtest) subtests.splice(subtest[1].length / 4, Infinity, subtest[2])
    const failure = /^( *)not ok \d+ - (.*?)(?: # time=[\d.]+ms)?$/.exec(line)
    if (failure) {
      const path = [...subtests.slice(0, failure[1].length / 4), failure[2]].filter((part, index, all) => part !== all[index - 1]).join(' > ')
      // Parents report after their failed children; only the innermost failure is worth a line.
      if (!failures.some((known) => known.startsWith(path))) failures.push(path)
    }
  },
  tapEnv,
)
if (summary) {
  passed += summary.pass ?? 0
  failed += summary.fail ?? 0
}
if (tapCode !== 0 && !(summary && summary.fail)) failed++

console.log('# the five slowest test files')
for (const { name, ms } of files.sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`)
if (failures.length > 0) {
  console.log('# failed')
  for (const path of failures) console.log(`#   ${path}`)
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
