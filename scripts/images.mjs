// Builds every image the platform runs (runtimes, orchestrator, kaniko executor, Git fetcher, registry) with buildah,
// and with --push REGISTRY pushes them there, e.g. `npm run images -- --push registry.example:5000`.
//   --stand-ins   build the upstream bases locally instead of pulling them (machines without registry access;
//                 test only: the stand-ins carry this machine's CA bundle)
//   --only NAME   only images whose reference starts with NAME, e.g. --only kless/runtime-
//   --tls-verify  verify the push registry's certificate (off by default, as for a cluster's internal registry)
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

const { buildPlatformImages, Buildah } = createRequire(import.meta.url)('@kless/testkit')

let options
try {
  options = parseArgs({
    options: {
      push: { type: 'string' },
      'stand-ins': { type: 'boolean' },
      only: { type: 'string', multiple: true },
      'tls-verify': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values
} catch (err) {
  console.error(`${err.message}\nusage: npm run images -- [--push REGISTRY] [--stand-ins] [--only NAME]... [--tls-verify]`)
  process.exit(2)
}
if (options.help) {
  console.log('usage: npm run images -- [--push REGISTRY] [--stand-ins] [--only NAME]... [--tls-verify]')
  process.exit(0)
}

const started = Date.now()
const built = await buildPlatformImages({ standIns: Boolean(options['stand-ins']), only: options.only, log: (line) => console.error(line) }).catch((err) => {
  console.error(err.message)
  process.exit(1)
})
const buildah = new Buildah()
for (const image of built) {
  let line = `${image.ref.padEnd(34)} ${(image.bytes / 1e6).toFixed(0).padStart(5)} MB  ${image.seconds ? `built in ${image.seconds.toFixed(1)} s` : 'up to date'}`
  if (options.push) {
    const destination = `${options.push.replace(/\/$/, '')}/${image.ref}`
    await buildah.push(image.keyed, `docker://${destination}`, { tlsVerify: Boolean(options['tls-verify']) })
    line += `  pushed to ${destination}`
  }
  console.log(line)
}
console.error(`${built.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s`)
