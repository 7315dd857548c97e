import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import { tmpdir } from 'os'
import { join } from 'path'
import t from 'tap'
import { parseMetrics, subsetMismatches } from '../src/runner'
import { bodyBytes, forRuntime, FUNCTIONS_DIR, headerValue, loadTable } from '../src/table'

const tables = mkdtempSync(join(tmpdir(), 'kless-table-'))
t.teardown(() => rmSync(tables, { recursive: true, force: true }))
let written = 0

function tableFile(yaml: string): string {
  const file = join(tables, `cases-${written++}.yaml`)
  writeFileSync(file, yaml)
  return file
}

const HEAD = 'functions:\n  echo: { description: d }\nrows:\n'

t.test('the shipped table loads, with at least 60 uniquely named rows', async (t) => {
  const table = loadTable()
  t.ok(table.rows.length >= 60, `${table.rows.length} rows`)
  t.equal(new Set(table.rows.map((row) => row.name)).size, table.rows.length)
})

t.test('table mistakes are reported with the row they are in', async (t) => {
  const load = (rows: string) => () => loadTable(tableFile(HEAD + rows), FUNCTIONS_DIR)
  t.throws(load('  - { name: a, function: echo, expct: {} }\n'), /row 1 "a": unknown key "expct"/)
  t.throws(load('  - { name: a, function: nowhere }\n'), /function "nowhere" is not declared/)
  t.throws(load('  - { name: a, function: echo, kind: soak }\n'), /kind "soak" is not one of/)
  t.throws(load('  - { name: a, function: echo }\n  - { name: a, function: echo }\n'), /row 2 "a": duplicate name/)
  t.throws(load('  - { name: a, function: echo, env: { FUNC_TIMEOUT: 1 } }\n'), /env FUNC_TIMEOUT must be a quoted string/)
  t.throws(load('  - { name: a, function: echo, kind: signal, signal: { name: SIGTERM, afterMs: 1 } }\n'), /say exits: true/)
  t.throws(load('  - { name: a, function: echo, request: { path: x } }\n'), /must start with \//)
  t.throws(() => loadTable(tableFile('functions:\n  ghost: { description: d }\nrows: []\n'), FUNCTIONS_DIR), /folder .*ghost does not exist/)
})

t.test('per-runtime overrides merge over the row, headers key by key, with ${RUNTIME} filled in', async (t) => {
  const table = loadTable(
    tableFile(
      HEAD +
        "  - name: a\n    function: echo\n    expect: { status: 200, json: { runtime: '${RUNTIME}' }, headers: { present: [x], absent: [y] } }\n" +
        '    runtimes:\n      python38: { expect: { headers: { absent: [] } } }\n      nodejs10: { skip: no reason }\n',
    ),
    FUNCTIONS_DIR,
  )
  const [row] = table.rows
  t.same(forRuntime(row, 'python38').expect, { status: 200, json: { runtime: 'python38' }, headers: { present: ['x'], absent: [] } })
  t.equal(forRuntime(row, 'nodejs10').skip, 'no reason')
  t.equal(forRuntime({ ...row, only: ['python38'] }, 'nodejs20').skip, 'written for python38 only')
})

t.test('generated bodies and headers', async (t) => {
  t.equal(bodyBytes({ fill: 'ab', bytes: 5 })?.toString(), 'ababa')
  t.same(bodyBytes({ base64: 'AAEC/w==' }), Buffer.from([0, 1, 2, 255]))
  t.equal(bodyBytes({ json: { a: 1 } })?.toString(), '{"a":1}')
  t.equal(headerValue({ fill: 'h', bytes: 3 }), 'hhh')
})

t.test('JSON subset matching', async (t) => {
  t.same(subsetMismatches({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }), [])
  t.same(subsetMismatches({ a: '<absent>' }, { b: 1 }), [])
  t.same(subsetMismatches({ a: '<absent>' }, { a: null }), ['$.a should be absent, is null'])
  t.same(subsetMismatches([1, { x: 1 }], [1, { x: 1, y: 2 }]), [])
  t.same(subsetMismatches([1], [1, 2]), ['$ should be [1], is [1,2]'])
  t.same(subsetMismatches({ n: 1 }, { n: '1' }), ['$.n should be 1, is "1"'])
})

t.test('Prometheus text is split into samples and bad lines', async (t) => {
  const { samples, malformed } = parseMetrics('# HELP x y\nx_total{method="handler-GET"} 3\nx_bucket{le="+Inf",method="a"} 1\nbroken line here\n')
  t.equal(samples.get('x_total{method="handler-GET"}'), 3)
  t.equal(samples.get('x_bucket{le="+Inf",method="a"}'), 1)
  t.same(malformed, ['broken line here'])
})
