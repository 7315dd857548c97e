/**
 * The runtime matrix (runtimes/matrix/matrix.json) against every place that must agree with it but cannot read it:
 * the CRD schema, the runtime images' Dockerfiles, and the env names the webhook reserves for the controller.
 */
import t from 'tap'
import { existsSync, readFileSync } from 'fs'
import { join } from 'path'
import { parse } from 'yaml'
import { DEFAULT_RUNTIME, RUNTIME_NAMES, runtimeInfo } from '@kless/runtime-matrix'
import { DEFAULT_WEBHOOK_VALUES as values } from '../../src/api/config.js'
import { defaultFunction } from '../../src/api/defaults.js'
import { RESERVED_ENV_NAMES } from '../../src/api/types.js'
import { validateFunction } from '../../src/api/validation.js'
import { readControllerConfig } from '../../src/controller/config.js'
import { buildDeployment } from '../../src/resources/deployment.js'
import { makeFunction, profileOf } from '../fixtures.js'
import { fn } from './fixtures.js'
import testkit from '@kless/testkit'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CRD = join(ROOT, 'charts', 'kless', 'crds', 'functions.serverless.kyma-project.io.yaml')

/** Every `enum` of a property named `runtime`, wherever it is in the schema, by its path. */
function runtimeEnums(node: unknown, path: string[] = []): Array<[string, unknown]> {
  if (typeof node !== 'object' || node === null) return []
  const own = path[path.length - 1] === 'runtime' && 'enum' in node ? [[path.join('.'), (node as { enum: unknown }).enum] as [string, unknown]] : []
  return own.concat(Object.entries(node).flatMap(([key, child]) => runtimeEnums(child, [...path, key])))
}

t.test("the CRD's spec.runtime and status.runtime enums are the matrix's runtimes, in its order", async (t) => {
  const enums = runtimeEnums(parse(readFileSync(CRD, 'utf8')))
  t.same(
    enums.map(([path]) => path.replace(/.*properties\.(spec|status)\.properties\.runtime$/, '$1')),
    ['spec', 'status'],
  )
  for (const [path, names] of enums) t.same(names, RUNTIME_NAMES, path)
})

t.test('the webhook accepts exactly the matrix runtimes and defaults to its default', async (t) => {
  const runtimeErrors = (runtime: string) => validateFunction(fn({ runtime }), values).filter((error) => error.field === 'spec.runtime')
  for (const runtime of RUNTIME_NAMES) t.same(runtimeErrors(runtime), [], runtime)
  t.match(runtimeErrors('nodejs8'), [{ message: `"nodejs8" is not supported; use one of ${RUNTIME_NAMES.join(', ')}` }])
  t.equal(defaultFunction(fn({ runtime: undefined }), values).spec.runtime, DEFAULT_RUNTIME)
})

t.test('every runtime has a folder with its host pins and an image built FROM the matrix base', async (t) => {
  const images = testkit.platformImages()
  for (const runtime of RUNTIME_NAMES) {
    const info = runtimeInfo(runtime)
    const pins = join(ROOT, 'runtimes', runtime, info.language === 'nodejs' ? 'package.json' : 'requirements.txt')
    t.ok(existsSync(pins), `${pins} exists`)
    const image = images.find((candidate) => candidate.ref === `${info.image}:${info.imageTag}`)
    if (!t.ok(image, `${runtime}: the image catalogue builds ${info.image}:${info.imageTag}`) || !image) continue
    const { bases } = testkit.dockerfileInputs(readFileSync(join(ROOT, image.dockerfile), 'utf8'), image.buildArgs)
    t.same(bases, [info.base], `${runtime}: ${image.dockerfile} builds FROM the matrix base`)
  }
})

t.test('every variable the Deployment sets is reserved, on every runtime', async (t) => {
  for (const runtime of RUNTIME_NAMES) {
    const deployment = buildDeployment(makeFunction({ runtime, env: [] }), {
      profile: profileOf(runtime),
      image: 'registry.local/demo-hello:abc',
      serviceAccountName: 'serverless-function',
      progressDeadlineSeconds: 600,
      replicas: 1,
      scalingEnabled: false,
    })
    const set = (deployment.spec?.template.spec?.containers[0].env ?? []).map((env) => env.name)
    t.same(
      set.filter((name) => !(RESERVED_ENV_NAMES as readonly string[]).includes(name)),
      [],
      `${runtime}: ${set.join(', ')}`,
    )
  }
})

t.test('a Function setting FUNC_NAME itself is refused, naming the field', async (t) => {
  const errors = validateFunction(defaultFunction(fn({ env: [{ name: 'FUNC_NAME', value: 'mine' }] }), values), values)
  t.same(errors, [{ field: 'spec.env[0].name', message: 'FUNC_NAME is reserved for the serverless runtime and cannot be set' }])
})

t.test('the chart and the controller run the images this repository builds', async (t) => {
  const refs = testkit.platformImages().map((image) => image.ref)
  const values = parse(readFileSync(join(ROOT, 'charts', 'kless', 'values.yaml'), 'utf8'))
  const envs = values.containers.manager.envs
  for (const ref of [
    envs.functionBuildExecutorImage.value,
    envs.functionBuildRepoFetcherImage.value,
    `${values.image.repository}:${testkit.platformVersion()}`,
  ]) {
    t.ok(refs.includes(ref), `${ref} is built by images/`)
  }
  const config = readControllerConfig({}, 'host')
  t.ok(refs.includes(config.executorImage), `controller default ${config.executorImage}`)
  t.ok(refs.includes(config.repoFetcherImage), `controller default ${config.repoFetcherImage}`)
})
