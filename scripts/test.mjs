// The whole test suite: lint, then every tap test file in the repository, JOBS at a time, the longest first. Ends
// with a plain "N passed, N failed" line for CI runners.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

// tap's default on two cores is one job. Most of the suite's time is spent waiting on clusters, builds and pods,
// not computing, so files run side by side; measured on 2 cores: 1490 s one at a time.
const JOBS = Number(process.env.KLESS_TEST_JOBS || 2)
// How long each file took in the last run, so the next one starts the longest first and the last job does not end
// alone. One cluster at a time holds the machine's real node, and a file that waits for it holds a job meanwhile:
// the end-to-end file, by far the longest, goes first, and the other files that use the real node go last.
const durationsFile = join(createRequire(import.meta.url)('@kless/runtime-staging').cacheRoot(), 'test-durations.json')
const recorded = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {}
const [FIRST, ...LAST] = ['orchestrator/test/e2e/real-node.test.ts', 'testkit/test/real-node.test.ts']

/** tap's include (any `test` folder, `*.test.ts`) without node_modules and dist, as paths from the root. */
function testFiles(dir = root, inTest = false) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.') ? [] : testFiles(path, inTest || entry.name === 'test')
    return inTest && entry.name.endsWith('.test.ts') ? [relative(root, path)] : []
  })
}

function longestFirst(files) {
  const rank = (file) => (file === FIRST ? Infinity : LAST.includes(file) ? -1 : (recorded[file] ?? 0))
  return files.sort((a, b) => rank(b) - rank(a) || a.localeCompare(b))
}

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

// Arguments name the files to run (as `npm test -- path/to/file.test.ts`); without any, all of them.
const named = process.argv.slice(2)
const tapArgs = ['--reporter=tap', `--jobs=${JOBS}`, ...(named.some((arg) => !arg.startsWith('-')) ? named : [...named, ...longestFirst(testFiles())])]
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

if (files.length > 0) writeFileSync(durationsFile, JSON.stringify({ ...recorded, ...Object.fromEntries(files.map(({ name, ms }) => [name, ms])) }, null, 1))
console.log('# the five slowest test files')
for (const { name, ms } of files.sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`)
if (failures.length > 0) {
  console.log('# failed')
  for (const path of failures) console.log(`#   ${path}`)
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
