import t from 'tap'
import { jsonLog } from '../../src/log.js'

const capture = () => {
  const lines: string[] = []
  return { lines, log: jsonLog('controller', (line) => lines.push(line)) }
}

t.test('one JSON object per line: time, level, component, msg, the Function key', async (t) => {
  const { lines, log } = capture()
  log.with({ function: 'demo/hello' }).error('reconcile failed, will retry', { error: 'boom' })
  t.equal(lines.length, 1)
  t.ok(lines[0].endsWith('\n'))
  t.match(JSON.parse(lines[0]), {
    time: /^\d{4}-/,
    level: 'error',
    component: 'controller',
    msg: 'reconcile failed, will retry',
    function: 'demo/hello',
    error: 'boom',
  })
})

t.test('credentials in a URL never reach a line', async (t) => {
  const { lines, log } = capture()
  log.warn('git ls-remote https://robot:hunter2@git.example/repo failed', { error: 'fatal: unable to access https://robot:hunter2@git.example/repo/' })
  t.notMatch(lines[0], /hunter2|robot/)
  t.match(JSON.parse(lines[0]), { msg: 'git ls-remote https://***@git.example/repo failed' })
})
