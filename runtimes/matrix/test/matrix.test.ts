import t from 'tap'
import { readFileSync } from 'fs'
import { DEFAULT_RUNTIME, MATRIX_FILE, parseMatrix, RUNTIME_NAMES, runtimeImage, runtimeInfo, runtimesOf } from '../src/index'

const file = JSON.parse(readFileSync(MATRIX_FILE, 'utf8'))
const withRuntime = (fields: Record<string, unknown>) => ({ ...file, runtimes: { ...file.runtimes, nodejs12: { ...file.runtimes.nodejs12, ...fields } } })

t.test('the committed matrix loads, in file order, with the seed default', async (t) => {
  t.same(RUNTIME_NAMES, Object.keys(file.runtimes))
  t.equal(DEFAULT_RUNTIME, file.default)
  t.same(runtimesOf('nodejs').concat(runtimesOf('python')).sort(), [...RUNTIME_NAMES].sort())
})

t.test('runtimeImage is the image and the shared tag, behind an optional registry prefix', async (t) => {
  const { image, imageTag } = runtimeInfo('nodejs12')
  t.equal(runtimeImage('nodejs12'), `${image}:${imageTag}`)
  t.equal(runtimeImage('nodejs12', 'registry.example:5000/'), `registry.example:5000/${image}:${imageTag}`)
})

t.test('an unknown runtime name is refused with the known ones', async (t) => {
  t.throws(() => runtimeInfo('ruby27'), { message: `unknown runtime "ruby27"; the runtime matrix lists ${RUNTIME_NAMES.join(', ')}` })
})

const bad: Array<[string, unknown, RegExp]> = [
  ['a missing version', withRuntime({ version: undefined }), /runtimes\.nodejs12\.version must be a non-empty string/],
  ['a version that is not exact', withRuntime({ version: '12' }), /runtimes\.nodejs12\.version must be an exact release like 12\.22\.12, got "12"/],
  ['an unknown language', withRuntime({ language: 'ruby' }), /runtimes\.nodejs12\.language must be one of nodejs, python, got "ruby"/],
  ['an image with a tag', withRuntime({ image: 'kless/runtime-nodejs12:1' }), /runtimes\.nodejs12\.image must be an image name without tag/],
  ['an empty handler file', withRuntime({ handlerFile: '' }), /runtimes\.nodejs12\.handlerFile must be a non-empty string, got ""/],
  ['an unknown field', withRuntime({ handler: 'x' }), /runtimes\.nodejs12\.handler is not a known field/],
  ['a default that is not listed', { ...file, default: 'nodejs8' }, /default must name one of the runtimes \(.*\), got "nodejs8"/],
  ['a bad image tag', { ...file, imageTag: 'a b' }, /imageTag must be a Docker tag like 0\.1\.0, got "a b"/],
  ['no runtimes', { ...file, runtimes: {} }, /runtimes must be a non-empty object/],
  [
    'a runtime name with capitals',
    { ...file, runtimes: { ...file.runtimes, NodeJS: file.runtimes.nodejs12 } },
    /runtimes\.NodeJS: a runtime name must be lower-case/,
  ],
]
for (const [name, raw, message] of bad) {
  t.test(`${name} is refused, naming the file and the field`, async (t) => {
    t.throws(() => parseMatrix(raw, 'matrix.json'), { message: /^matrix\.json: invalid runtime matrix:/ })
    t.throws(() => parseMatrix(raw, 'matrix.json'), { message })
  })
}
