// Packs the author's CLI as one installable npm package, kless-<version>.tgz, that needs nothing of this repository:
//   npm run pack:cli [-- --destination DIR]      then, anywhere:  npm install -g ./kless-<version>.tgz
// The workspace packages it uses ride along as bundled dependencies (they are not published): the runtime matrix, the
// runtime staging with the hosts' sources it stages (runtimeSources), and the API part of the orchestrator (types and
// the webhooks' defaulting and validation, for --dry-run). Published dependencies stay ordinary ones.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name) => process.argv[process.argv.indexOf(name) + 1]
const destination = resolve(process.argv.includes('--destination') ? argument('--destination') : process.cwd())
const readJson = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'))
const cli = readJson('cli/package.json')
const BUNDLED = {
  '@kless/runtime-matrix': { from: 'runtimes/matrix', files: ['dist', 'matrix.json'] },
  '@kless/runtime-staging': { from: 'runtimes/staging', files: ['dist'] },
  // The API entry (dist/api/index.js) and the webhook modules it reaches; nothing here starts a server.
  '@kless/orchestrator': {
    from: 'orchestrator',
    files: ['dist/api', 'dist/webhooks/admission.js', 'dist/webhooks/defaulting.js', 'dist/webhooks/validating.js', 'dist/webhooks/offline.js'],
  },
}

const work = mkdtempSync(join(tmpdir(), 'kless-pack-'))
try {
  const pkg = join(work, 'kless')
  cpSync(join(root, 'cli', 'dist'), join(pkg, 'dist'), { recursive: true, filter: (file) => !file.endsWith('.d.ts') })
  for (const [name, { from, files }] of Object.entries(BUNDLED)) {
    const target = join(pkg, 'node_modules', name)
    for (const file of files) cpSync(join(root, from, file), join(target, file), { recursive: true })
    const manifest = readJson(join(from, 'package.json'))
    // Only what resolving the bundled copy needs: its own bundled siblings are found beside it.
    const kept = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([dependency]) => dependency in BUNDLED))
    const { name: packageName, version, type, main, types, exports } = manifest
    writeFileSync(join(target, 'package.json'), `${JSON.stringify({ name: packageName, version, type, main, types, exports, dependencies: kept }, null, 2)}\n`)
  }
  const { RUNTIMES_DIR, runtimeSources } = createRequire(import.meta.url)(join(root, 'runtimes', 'staging', 'dist', 'index.js'))
  for (const file of runtimeSources()) {
    const target = join(pkg, 'node_modules', '@kless', 'runtime-staging', 'runtimes', file)
    mkdirSync(dirname(target), { recursive: true })
    cpSync(join(RUNTIMES_DIR, file), target)
  }
  const published = Object.fromEntries(Object.entries(cli.dependencies).filter(([name]) => !(name in BUNDLED)))
  const manifest = {
    name: 'kless',
    version: cli.version,
    description: cli.description,
    license: 'Apache-2.0',
    type: 'module',
    bin: cli.bin,
    engines: cli.engines,
    dependencies: {
      ...published,
      ...Object.fromEntries(Object.keys(BUNDLED).map((name) => [name, readJson(join(BUNDLED[name].from, 'package.json')).version])),
    },
    bundleDependencies: Object.keys(BUNDLED),
  }
  writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  cpSync(join(root, 'docs', 'functions.md'), join(pkg, 'README.md'))
  mkdirSync(destination, { recursive: true })
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: pkg, encoding: 'utf8' }).trim().split('\n').pop()
  console.log(join(destination, tarball))
} finally {
  rmSync(work, { recursive: true, force: true })
}
