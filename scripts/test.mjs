// The whole test suite: every tap test file in the repository, in lanes side by side, and lint meanwhile. Ends with
// the five slowest files and a plain "N passed, N failed" line for CI runners.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

// tap runs the files it is given in name order, so the order cannot balance its jobs. The files are split into
// lanes of about equal total duration instead, one tap process per lane, side by side: most of the suite waits on
// clusters, builds and pods rather than computing (measured on 2 cores: 1490 s in one lane). One lane more than the
// cores: with two lanes on 2 cores the machine was busy 55 % of the run (13.7 min), with three 93 % (12.1 min).
const LANES = Number(process.env.KLESS_TEST_JOBS || cpus().length + 1)
// How long each file took: the cache's record of this machine's last run, over the committed durations of a full
// run on the 2-core reference machine (seconds), which place the files on a machine that has no record yet.
const durationsFile = join(createRequire(import.meta.url)('@kless/runtime-staging').cacheRoot(), 'test-durations.json')
const recordedMs = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {}
const referenceSeconds = JSON.parse(readFileSync(join(root, 'scripts', 'test-durations.json'), 'utf8'))
const weightOf = (file) => recordedMs[file] ?? (referenceSeconds[file] ?? 10) * 1000
// One cluster at a time holds the machine's real node: files that use it share a lane, so none waits for it.
const REAL_NODE_FILES = ['orchestrator/test/e2e/real-node.test.ts', 'testkit/test/real-node.test.ts']

/** tap's include (any `test` folder, `*.test.ts`) without node_modules and dist, as paths from the root. */
function testFiles(dir = root, inTest = false) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.') ? [] : testFiles(path, inTest || entry.name === 'test')
    return inTest && entry.name.endsWith('.test.ts') ? [relative(root, path)] : []
  })
}

/** The real-node files in the first lane, then each file, longest first, into the lane that ends soonest. */
function intoLanes(files, count) {
  const lanes = Array.from({ length: Math.max(1, Math.min(count, files.length)) }, () => ({ files: [], ms: 0 }))
  const place = (lane, file) => {
    lane.files.push(file)
    lane.ms += weightOf(file)
  }
  for (const file of files.filter((file) => REAL_NODE_FILES.includes(file))) place(lanes[0], file)
  const rest = files.filter((file) => !REAL_NODE_FILES.includes(file)).sort((a, b) => weightOf(b) - weightOf(a) || a.localeCompare(b))
  for (const file of rest)
    place(
      lanes.reduce((soonest, lane) => (lane.ms < soonest.ms ? lane : soonest)),
      file,
    )
  return lanes.filter((lane) => lane.files.length > 0)
}

/** Runs `cmd`, handing each line of its stdout to `onLine`; resolves with the exit code. */
function run(cmd, args, onLine, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
    let pending = ''
    child.stdout.on('data', (chunk) => {
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

// `npm test -- --full` adds the end-to-end cases each run leaves out (docs/testing.md names them); other arguments
// name the files to run (`npm test -- path/to/file.test.ts`) or go to tap.
const full = process.argv.includes('--full')
const named = process.argv.slice(2).filter((arg) => arg !== '--full')
const tapOptions = named.filter((arg) => arg.startsWith('-'))
const chosen = named.filter((arg) => !arg.startsWith('-'))
// The bootstrap prepared the cache; a test that would build a tool fails with a message instead.
const tapEnv = { ...process.env, KLESS_CACHE_READ_ONLY: '1', ...(full ? { KLESS_TEST_FULL: '1' } : {}) }

let passed = 0
let failed = 0
const files = []
// Where each failure is, as "file > subtest > assertion": a long run's log is read from its tail.
const failures = []

/**
 * Reads one tap process's output: prints each file's lines as one block, so lanes running side by side do not
 * interleave, and collects its summary, file durations and failures.
 */
function tapReader() {
  const lane = { summary: null, block: [], subtests: [] }
  lane.onLine = (line) => {
    // tap's own summary line: "# { total: 12, pass: 11, fail: 1, skip: … }"
    const match = /^# \{ (.*) \}$/.exec(line)
    if (match)
      lane.summary = Object.fromEntries(
        match[1]
          .split(', ')
          .map((kv) => kv.split(': '))
          .map(([k, v]) => [k, Number(v)]),
      )
    const file = /^(?:not )?ok \d+ - (\S+) # time=([\d.]+)ms/.exec(line)
    if (file) files.push({ name: file[1], ms: Number(file[2]) })
    const subtest = /^( *)# Subtest: (.*)$/.exec(line)
    if (subtest) lane.subtests.splice(subtest[1].length / 4, Infinity, subtest[2])
    const failure = /^( *)not ok \d+ - (.*?)(?: # time=[\d.]+ms)?$/.exec(line)
    if (failure) {
      const path = [...lane.subtests.slice(0, failure[1].length / 4), failure[2]].filter((part, index, all) => part !== all[index - 1]).join(' > ')
      // Parents report after their failed children; only the innermost failure is worth a line.
      if (!failures.some((known) => known.startsWith(path))) failures.push(path)
    }
    if (subtest && subtest[1] === '') lane.block = []
    lane.block.push(line)
    if (file || !(lane.subtests.length > 0 && lane.block[0].startsWith('# Subtest: '))) {
      console.log(lane.block.join('\n'))
      lane.block = []
    }
  }
  return lane
}

// The same two checks as `npm run lint`, each one result: a linter, and the formatter in check mode. They run while
// the tests do.
const lint = Promise.all(
  [
    ['eslint', ['.']],
    ['prettier', ['--check', '**/*.{ts,mjs,js}']],
  ].map(async ([tool, args]) => {
    const output = []
    const code = await run(bin(tool), args, (line) => output.push(line))
    console.log([`# lint: ${tool}`, ...output].join('\n'))
    if (code === 0) passed++
    else {
      failed++
      failures.push(`${tool} ${args.join(' ')}`)
    }
  }),
)
const lanes = intoLanes(chosen.length > 0 ? chosen : testFiles(), LANES)
for (const [index, lane] of lanes.entries())
  console.log(`# lane ${index + 1}: ${lane.files.length} files, about ${Math.round(lane.ms / 1000)} s by the last durations`)
await Promise.all(
  lanes.map(async (lane) => {
    const reader = tapReader()
    const code = await run(bin('tap'), ['--reporter=tap', '--jobs=1', ...tapOptions, ...lane.files], reader.onLine, tapEnv)
    if (reader.block.length > 0) console.log(reader.block.join('\n'))
    passed += reader.summary?.pass ?? 0
    failed += reader.summary?.fail ?? 0
    if (code !== 0 && !reader.summary?.fail) failed++
  }),
)
await lint

if (files.length > 0) writeFileSync(durationsFile, JSON.stringify({ ...recordedMs, ...Object.fromEntries(files.map(({ name, ms }) => [name, ms])) }, null, 1))
console.log('# the five slowest test files')
for (const { name, ms } of files.sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`)
if (failures.length > 0) {
  console.log('# failed')
  for (const path of failures) console.log(`#   ${path}`)
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
