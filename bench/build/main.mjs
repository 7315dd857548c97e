// Function build benchmark: the seed's Hello John Function built by the kaniko executor in a container, as a build
// Job builds it, pushing to a loopback registry with kaniko's layer cache in that registry (the controller's
// --cache=true). Three cases: cold (base image in the registry, no cached layers), deps unchanged (the same Function
// again: every layer from the cache, no npm install), and a source-only change (the npm install layer from the cache,
// only the source layer rebuilt). Baseline: buildah building the same context in the same run. Prints numbers.
//   node bench/build/main.mjs [--rounds N]
import { createRequire } from 'node:module'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const images = require('@kless/testkit')
const { parse } = require('yaml')
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1' } } })

const RUNTIME = 'kless/runtime-nodejs12:0.1.0'
const EXECUTOR = 'kless/kaniko-executor:0.1.0'
const spec = parse(readFileSync(join(root, 'testkit', 'fixtures', 'seed-examples', 'function-hello-john.yaml'), 'utf8')).spec
const helloJohn = {
  dockerfile: 'kaniko/dockerfiles/nodejs.Dockerfile',
  handlerFile: 'handler.js',
  source: spec.source,
  depsFile: 'package.json',
  deps: spec.deps,
  env: {},
}

const buildah = new images.Buildah()
const registry = await images.LoopbackRegistry.start()
const containerd = await images.Containerd.start()
const contexts = []
let sequence = 0
try {
  const runtime = await images.builtImage(buildah, RUNTIME)
  await buildah.push(runtime.keyed, `docker://${registry.host}/${RUNTIME}`)
  const executor = await containerd.importImage(buildah, (await images.builtImage(buildah, EXECUTOR)).keyed, `docker.io/${EXECUTOR}`)

  /** Compressed bytes of an image in the registry: what a node pulls. */
  const pushedBytes = (ref) => {
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }))
    return manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size)
  }
  const kaniko = async (fn, cacheRepo, name) => {
    const context = images.functionBuildContext(fn)
    contexts.push(context)
    const destination = `${registry.host}/bench-${name}:${++sequence}`
    const build = await images.kanikoBuild(containerd, executor, {
      id: `bench-kaniko-${process.pid}-${sequence}`,
      context,
      destination,
      registryHost: registry.host,
      buildArgs: { BASE_IMAGE: RUNTIME },
      cacheRepo,
    })
    if (build.exitCode !== 0) throw new Error(`kaniko build ${name} failed:\n${build.output.slice(-4000)}`)
    const reusedInstall = /Using caching version of cmd: RUN .*npm install/.test(build.output)
    const ranInstall = /RUN .*npm install[\s\S]*?(added \d+ packages|up to date)/.test(build.output) && !reusedInstall
    return { seconds: build.seconds, bytes: pushedBytes(destination), reusedInstall, ranInstall }
  }
  const buildahBaseline = async (fn) => {
    const context = images.functionBuildContext(fn)
    contexts.push(context)
    const tag = `localhost/kless-bench/hello-john:${process.pid}`
    const started = Date.now()
    // --no-cache: a cold build, what kaniko's cold case does.
    await buildah.run([
      'build',
      '--isolation',
      'chroot',
      '--no-cache',
      '--pull=never',
      '--quiet',
      '-f',
      join(context, 'Dockerfile'),
      '--build-arg',
      `BASE_IMAGE=${RUNTIME}`,
      '-t',
      tag,
      context,
    ])
    const seconds = (Date.now() - started) / 1000
    await buildah.run(['rmi', tag]).catch(() => undefined)
    return seconds
  }

  const rows = []
  for (let round = 1; round <= Number(values.rounds); round++) {
    const cacheRepo = `${registry.host}/cache-${process.pid}-${round}`
    const baseline = await buildahBaseline(helloJohn)
    const cold = await kaniko(helloJohn, cacheRepo, 'cold')
    const same = await kaniko(helloJohn, cacheRepo, 'deps-unchanged')
    const changed = await kaniko({ ...helloJohn, source: helloJohn.source.replace("'Hello '", `'Hi (round ${round}) '`) }, cacheRepo, 'source-only')
    rows.push({ round, baseline, cold, same, changed })
  }

  const runtimeBytes = pushedBytes(`${registry.host}/${RUNTIME}`)
  console.log(
    `# Hello John, kaniko v1.23.2 executor in a container, push to a loopback registry; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  )
  console.log('| round | case | build + push | × buildah cold build | npm install | pushed image |')
  console.log('|---|---|---|---|---|---|')
  for (const { round, baseline, cold, same, changed } of rows) {
    for (const [name, r] of [
      ['cold (base cached, deps not)', cold],
      ['deps unchanged', same],
      ['source-only change', changed],
    ]) {
      const install = r.reusedInstall ? 'reused from cache' : r.ranInstall ? 'ran' : 'ran (no cache hit)'
      console.log(`| ${round} | ${name} | ${r.seconds.toFixed(1)} s | ${(r.seconds / baseline).toFixed(2)}× | ${install} | ${(r.bytes / 1e6).toFixed(1)} MB |`)
    }
    console.log(`| ${round} | baseline: buildah cold build | ${baseline.toFixed(1)} s | 1.00× | ran | |`)
  }
  console.log(`runtime image kless/runtime-nodejs12 as pushed: ${(runtimeBytes / 1e6).toFixed(1)} MB compressed`)
} finally {
  for (const dir of contexts) rmSync(dir, { recursive: true, force: true })
  await containerd.stop()
  await registry.stop()
}
