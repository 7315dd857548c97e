import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { spawnSync } from 'child_process'
import { get } from 'http'
import { tmpdir } from 'os'
import { join } from 'path'
import { parse } from 'yaml'
import { freePort, Started, waitFor } from '../src/process'
import { Buildah, builtImage, Containerd, functionBuildContext, FunctionSource, kanikoBuild, LoopbackRegistry } from '../src/images'

/*
 * A Function's image is built the way a build Job builds it — the kaniko/ Dockerfile of its language on the runtime
 * image, with a context laid out as the controller mounts it — and run the way its Deployment runs it. The runtime
 * images and the kaniko executor come from the bootstrap's cache (`npm run images`); this test only reads them.
 */

const NODE_RUNTIME_IMAGE = 'kless/runtime-nodejs12:0.1.0'
const PYTHON_RUNTIME_IMAGE = 'kless/runtime-python38:0.1.0'
const EXECUTOR_IMAGE = 'kless/kaniko-executor:0.1.0'
const FUNCTION_ENV = { MOD_NAME: 'handler', FUNC_HANDLER: 'main' }

const helloJohnSpec = parse(readFileSync(join(__dirname, '..', 'fixtures', 'seed-examples', 'function-hello-john.yaml'), 'utf8')).spec
const helloJohn: FunctionSource = {
  dockerfile: 'kaniko/dockerfiles/nodejs.Dockerfile',
  handlerFile: 'handler.js',
  source: helloJohnSpec.source,
  depsFile: 'package.json',
  deps: helloJohnSpec.deps,
  env: Object.fromEntries(helloJohnSpec.env.map((entry: { name: string; value: string }) => [entry.name, entry.value])),
}

// six is only on the index, never in the runtime image: the answer comes through it or the handler does not load.
const pythonWithSix: FunctionSource = {
  dockerfile: 'kaniko/dockerfiles/python.Dockerfile',
  handlerFile: 'handler.py',
  source: ['import os', 'import six', '', 'def main(event, context):', '    return six.ensure_str(b"Hello ") + os.environ["PERSON_NAME"]', ''].join('\n'),
  depsFile: 'requirements.txt',
  deps: 'six==1.16.0\n',
  env: { PERSON_NAME: 'John' },
}

function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.setTimeout(5000, () => request.destroy(new Error(`no answer from ${url} in 5 s`)))
  })
}

const seconds = (since: number) => Number(((Date.now() - since) / 1000).toFixed(1))

let sequence = 0
const containerId = (what: string) => `${what}-${process.pid}-${++sequence}`

const buildah = new Buildah()
let containerd: Containerd
const contexts: string[] = []

t.before(async () => {
  containerd = await Containerd.start()
})
t.teardown(async () => {
  await containerd?.stop()
  for (const dir of contexts) rmSync(dir, { recursive: true, force: true })
})

/** Builds `fn` with buildah on `baseImage` and returns the image's tag in buildah's storage. */
async function buildahBuild(t: Test, fn: FunctionSource, baseImage: string, name: string): Promise<string> {
  await builtImage(buildah, baseImage)
  const context = functionBuildContext(fn)
  contexts.push(context)
  // One tag per Function, not per run: rebuilds from the same inputs are the same image, and storage does not grow.
  const tag = `localhost/kless-test/${name}:latest`
  const started = Date.now()
  await buildah.build({ dockerfile: join(context, 'Dockerfile'), context, tags: [tag], buildArgs: { BASE_IMAGE: baseImage } })
  t.comment(`${name}: buildah build ${seconds(started)} s, image ${(await buildah.size(tag)) / 1e6} MB`)
  return tag
}

/**
 * Hands a test-built image to containerd through a temporary archive: unlike the platform images, each build is a new
 * image, and caching its archive would grow the cache by an image per run.
 */
async function importBuilt(tag: string): Promise<string> {
  const name = `docker.io/${tag.replace(/^localhost\//, '')}`
  const dir = mkdtempSync(join(tmpdir(), 'kless-function-image-'))
  try {
    await buildah.push(tag, `docker-archive:${join(dir, 'image.tar')}:${name}`)
    await containerd.ctr(['images', 'import', join(dir, 'image.tar')])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return name
}

/** Runs a Function image as its Deployment does (restricted, host network here) and returns its answer to GET /. */
async function answerOf(t: Test, image: string, fn: FunctionSource): Promise<string> {
  const port = await freePort()
  const id = containerId('fn')
  const proc = containerd.run({ image, id, restricted: true, hostNetwork: true, env: { ...FUNCTION_ENV, ...fn.env, FUNC_PORT: String(port) } })
  t.teardown(() => proc.stop(2000))
  return waitForAnswer(proc, () => getText(`http://127.0.0.1:${port}/`))
}

async function waitForAnswer(proc: Started, ask: () => Promise<{ status: number; body: string }>): Promise<string> {
  let exitCode: number | null | undefined
  proc.exited.then((code) => (exitCode = code))
  let answer: { status: number; body: string } | undefined
  try {
    await waitFor(
      async () => exitCode !== undefined || (answer = await ask()).status === 200,
      30_000,
      () => 'the Function to answer GET /',
    )
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- container output ---\n${proc.output()}`)
  }
  if (exitCode !== undefined) throw new Error(`the Function's container exited with ${exitCode}\n--- output ---\n${proc.output()}`)
  return (answer as { body: string }).body
}

let helloJohnImage: Promise<string> | undefined
const helloJohnBuilt = (t: Test) => (helloJohnImage ??= buildahBuild(t, helloJohn, NODE_RUNTIME_IMAGE, 'hello-john').then(importBuilt))

t.test('the seed Hello John Function built with buildah on the nodejs12 image answers Hello John', { timeout: 180_000 }, async (t) => {
  t.equal(await answerOf(t, await helloJohnBuilt(t), helloJohn), 'Hello John')
})

t.test('a python38 Function with a requirements.txt dependency built with buildah answers Hello John', { timeout: 180_000 }, async (t) => {
  const tag = await buildahBuild(t, pythonWithSix, PYTHON_RUNTIME_IMAGE, 'python-six')
  t.equal(await answerOf(t, await importBuilt(tag), pythonWithSix), 'Hello John')
})

t.test('the Hello John image answers with no network: nothing is fetched at start-up', { timeout: 180_000 }, async (t) => {
  const image = await helloJohnBuilt(t)
  const id = containerId('offline')
  // Its own network namespace, which has only loopback; the image's FUNC_PORT (8080) is kept.
  const proc = containerd.run({ image, id, restricted: true, env: { ...FUNCTION_ENV, ...helloJohn.env } })
  t.teardown(() => proc.stop(2000))
  const probe = [
    "require('http').get('http://127.0.0.1:8080/', (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => { process.stdout.write(JSON.stringify({ status: r.statusCode, body: b })) }) })",
    ".on('error', (e) => { process.stdout.write(JSON.stringify({ status: 0, body: e.message })) })",
  ].join('')
  const body = await waitForAnswer(proc, async () => JSON.parse(await containerd.exec(id, ['node', '-e', probe])))
  t.equal(body, 'Hello John')
  const interfaces = await containerd.exec(id, ['node', '-e', 'process.stdout.write(Object.keys(require("os").networkInterfaces()).join(","))'])
  t.equal(interfaces, 'lo', 'the container has loopback and nothing else')
})

t.test('the seed Hello John Function built by the kaniko executor in a container answers Hello John', { timeout: 300_000 }, async (t) => {
  const registry = await LoopbackRegistry.start()
  t.teardown(() => registry.stop())
  // kaniko pulls FROM images through --registry-mirror, which stands in for Docker Hub: the runtime image is pushed
  // there under its Docker Hub name. nodejs.Dockerfile has no other base.
  const runtime = await builtImage(buildah, NODE_RUNTIME_IMAGE)
  await buildah.push(runtime.keyed, `docker://${registry.host}/${NODE_RUNTIME_IMAGE}`)
  const executor = await containerd.importImage(buildah, (await builtImage(buildah, EXECUTOR_IMAGE)).keyed, `docker.io/${EXECUTOR_IMAGE}`)
  const context = functionBuildContext(helloJohn)
  contexts.push(context)
  const destination = `${registry.host}/hello-john:${process.pid}`
  const build = await kanikoBuild(containerd, executor, {
    id: containerId('kaniko'),
    context,
    destination,
    registryHost: registry.host,
    buildArgs: { BASE_IMAGE: NODE_RUNTIME_IMAGE },
  })
  t.equal(build.exitCode, 0, `kaniko build and push\n${build.exitCode === 0 ? '' : build.output.slice(-6000)}`)
  if (build.exitCode !== 0) return
  t.comment(`hello-john: kaniko build and push ${build.seconds.toFixed(1)} s`)
  await containerd.ctr(['images', 'pull', '--plain-http', destination])
  const size = (await containerd.ctr(['images', 'ls'])).split('\n').find((line) => line.startsWith(`${destination} `))
  t.comment(`hello-john (kaniko) in containerd: ${size?.split(/\s+/).slice(3, 5).join(' ')}`)
  t.equal(await answerOf(t, destination, helloJohn), 'Hello John')
})

t.test('a containerd folder whose owner died is removed when the next containerd starts', async (t) => {
  const deadPid = spawnSync('true').pid as number
  const orphan = join(tmpdir(), `kless-containerd-${deadPid}-orphan`)
  mkdirSync(join(orphan, 'root'), { recursive: true })
  writeFileSync(join(orphan, 'root', 'layer'), 'x')
  const next = await Containerd.start()
  t.teardown(() => next.stop())
  t.notOk(existsSync(orphan), orphan)
  t.ok(existsSync(containerd.dir), 'the running containerd keeps its folder')
})
