import t from 'tap'
import { RUNTIMES } from '../../src/api/types.js'
import { requestedRuntime, runtimeProfile, sanitizedDependencies } from '../../src/resources/runtime.js'
import { makeFunction, profileOf } from '../fixtures.js'

t.test('every API runtime has a profile; anything else has none', async (t) => {
  for (const runtime of RUNTIMES) t.ok(runtimeProfile(runtime), runtime)
  t.equal(runtimeProfile('nodejs99'), undefined)
  t.equal(runtimeProfile(''), undefined)
})

t.test('an unset runtime is the default nodejs12', async (t) => {
  t.equal(requestedRuntime(makeFunction({ runtime: undefined })), 'nodejs12')
})

t.test('Node runtimes find code and modules under /kubeless', async (t) => {
  const profile = profileOf('nodejs20')
  t.same([profile.sourceFile, profile.dependenciesFile], ['handler.js', 'package.json'])
  t.same(profile.env, [
    { name: 'FUNC_RUNTIME', value: 'nodejs20' },
    { name: 'NODE_PATH', value: '/kubeless/node_modules' },
  ])
})

t.test('Python runtimes get a PYTHONPATH for their own version; the image itself sets PYTHONUNBUFFERED', async (t) => {
  t.same(profileOf('python38').env, [
    { name: 'FUNC_RUNTIME', value: 'python38' },
    { name: 'PYTHONPATH', value: '/kubeless/lib/python3.8/site-packages:/kubeless' },
  ])
  t.match(profileOf('python312').env.find((e) => e.name === 'PYTHONPATH')?.value, /python3\.12\/site-packages/)
  t.same([profileOf('python312').sourceFile, profileOf('python312').dependenciesFile], ['handler.py', 'requirements.txt'])
})

t.test('empty Node dependencies become {}, Python ones stay as written', async (t) => {
  t.equal(sanitizedDependencies(profileOf('nodejs12'), undefined), '{}')
  t.equal(sanitizedDependencies(profileOf('nodejs12'), '  \n'), '{}')
  t.equal(sanitizedDependencies(profileOf('nodejs12'), '{"a":1}'), '{"a":1}')
  t.equal(sanitizedDependencies(profileOf('python38'), ''), '')
})
