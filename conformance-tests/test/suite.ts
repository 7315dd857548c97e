import { Language, runtimeInfo } from '@kless/runtime-matrix'
import { Test } from 'tap'
import { Sink } from '../src/http'
import { FunctionPool, runRow } from '../src/runner'
import { selectedRuntimes, Target } from '../src/runtimes'
import { loadTable } from '../src/table'

/**
 * Every row of cases.yaml against every selected runtime at one target. KLESS_RUNTIMES=nodejs20,nodejs12 narrows
 * the runtimes; KLESS_ROWS=<substring> picks rows by name.
 */
export async function conformanceSuite(t: Test, target: Target, language?: Language): Promise<void> {
  const table = loadTable()
  const rowFilter = process.env.KLESS_ROWS
  const rows = rowFilter ? table.rows.filter((row) => row.name.includes(rowFilter)) : table.rows
  const sink = await Sink.start()
  t.teardown(() => sink.close())
  for (const runtime of selectedRuntimes().filter((name) => !language || runtimeInfo(name).language === language)) {
    await t.test(runtime, async (t) => {
      const pool = new FunctionPool(runtime, sink, target)
      t.teardown(() => pool.stopAll())
      const started = Date.now()
      for (const row of rows) {
        await t.test(row.name, async (t) => {
          const result = await runRow(table, row, runtime, pool, sink)
          if (result.skipped) return t.skip(result.skipped)
          for (const note of result.notes) t.comment(note)
          t.same(result.problems, [], `${row.function}: ${row.name}`)
        })
      }
      t.comment(`${runtime} (${target}): ${rows.length} rows in ${Date.now() - started} ms`)
    })
  }
}
