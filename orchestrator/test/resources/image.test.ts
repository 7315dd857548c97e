import t from 'tap'
import { imageName, imageTag } from '../../src/resources/image.js'
import { makeFunction, profileOf } from '../fixtures.js'

const node = profileOf('nodejs12')

t.test('the tag depends on source, deps and runtime only', async (t) => {
  const tag = imageTag(makeFunction(), node)
  t.match(tag, /^[0-9a-f]{64}$/)
  t.equal(imageTag(makeFunction({ env: [{ name: 'A', value: '1' }], minReplicas: 2, labels: { a: 'b' } }, { uid: 'other' }), node), tag)
  t.not(imageTag(makeFunction({ source: 'x' }), node), tag)
  t.not(imageTag(makeFunction({ deps: '{"dependencies":{}}' }), node), tag)
  t.not(imageTag(makeFunction(), profileOf('nodejs20')), tag)
})

t.test('a git tag depends on the commit and baseDir', async (t) => {
  const revision = { url: 'http://git/r.git', commit: 'a'.repeat(40), baseDir: '/' }
  const tag = imageTag(makeFunction(), node, revision)
  t.not(imageTag(makeFunction(), node, { ...revision, commit: 'b'.repeat(40) }), tag)
  t.not(imageTag(makeFunction(), node, { ...revision, baseDir: '/fn' }), tag)
  t.equal(imageTag(makeFunction({ source: 'other-repo-name' }), node, revision), tag)
})

t.test('the image is <registry>/<namespace>-<name>:<tag>', async (t) => {
  t.equal(imageName('reg:5000', makeFunction(), 'abc'), 'reg:5000/demo-hello:abc')
})
