/** Random and mutated Function/GitRepository/Secret objects for fuzzing the webhook endpoint, from a seeded generator. */

export type Random = () => number

/** mulberry32: small, fast and reproducible from its seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]

const INTERESTING_STRINGS = [
  '',
  ' ',
  'nodejs12',
  'python38',
  'nodejs22',
  'git',
  '100m',
  '0',
  '-1',
  '1e400',
  '16Mi',
  '1.5Gi',
  'NaN',
  '{}',
  '{"name":"a","version":"1"}',
  'FUNC_PORT',
  'PYTHONPATH',
  'https://h/r.git',
  'git@h:r.git',
  'ssh://h/r',
  'key',
  'basic',
  '/',
  'main',
  '\u0000',
  '💥',
  'a'.repeat(300),
]

/** Any JSON value, nested up to `depth`. */
export function randomJson(random: Random, depth = 3): unknown {
  const choice = random()
  if (depth <= 0 || choice < 0.35) {
    return pick(random, [
      () => pick(random, INTERESTING_STRINGS),
      () => Math.floor(random() * 2000) - 1000,
      () => random() * 1e6,
      () => random() < 0.5,
      () => null,
    ])()
  }
  if (choice < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth - 1))
  const keys = ['name', 'value', 'cpu', 'memory', 'requests', 'limits', 'type', 'url', 'auth', 'secretName', 'min', 'max', 'x']
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(random, keys), randomJson(random, depth - 1)]))
}

const BASE_FUNCTION = {
  apiVersion: 'serverless.kyma-project.io/v1alpha1',
  kind: 'Function',
  metadata: { name: 'fuzz', namespace: 'default', labels: { 'serverless.kyma-project.io/replicas-preset': 'M' } },
  spec: {
    source: 'module.exports = { main: () => 1 }',
    deps: '{"name":"f","version":"1.0.0"}',
    runtime: 'nodejs12',
    env: [{ name: 'A', value: '1' }],
    labels: { app: 'fuzz' },
    minReplicas: 1,
    maxReplicas: 2,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    buildResources: { requests: { cpu: '700m', memory: '700Mi' }, limits: { cpu: '1100m', memory: '1100Mi' } },
    type: '',
    baseDir: '/',
    reference: 'main',
  },
}

const BASE_GIT_REPOSITORY = {
  apiVersion: 'serverless.kyma-project.io/v1alpha1',
  kind: 'GitRepository',
  metadata: { name: 'fuzz', namespace: 'default' },
  spec: { url: 'git@github.com:org/repo.git', auth: { type: 'key', secretName: 'creds' } },
}

const BASE_SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'serverless-registry-config', namespace: 'default', labels: { 'serverless.kyma-project.io/remote-registry': 'config' } },
  data: { username: 'dXNlcg==', password: 'cGFzcw==', serverAddress: 'cmVnaXN0cnk=' },
}

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix]
  return [prefix, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...prefix, key]))]
}

/** A copy of `base` with one to three leaves or subtrees deleted or replaced by random JSON. */
export function mutate(random: Random, base: object): unknown {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>
  for (let round = 1 + Math.floor(random() * 3); round > 0; round--) {
    const path = pick(
      random,
      paths(copy).filter((p) => p.length > 0),
    )
    if (!path) break
    let parent: Record<string, unknown> = copy
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>
    if (typeof parent !== 'object' || parent === null) continue
    const last = path[path.length - 1]
    if (random() < 0.3) delete parent[last]
    else parent[last] = randomJson(random)
  }
  return copy
}

export interface FuzzCase {
  path: '/defaulting' | '/validation' | '/registry-secret'
  kind: { group: string; version: string; kind: string }
  object: unknown
}

const FUNCTION_GVK = { group: 'serverless.kyma-project.io', version: 'v1alpha1', kind: 'Function' }
const GIT_GVK = { group: 'serverless.kyma-project.io', version: 'v1alpha1', kind: 'GitRepository' }
const SECRET_GVK = { group: '', version: 'v1', kind: 'Secret' }

export function fuzzCase(random: Random): FuzzCase {
  const roll = random()
  if (roll < 0.4) return { path: pick(random, ['/defaulting', '/validation'] as const), kind: FUNCTION_GVK, object: mutate(random, BASE_FUNCTION) }
  if (roll < 0.55) return { path: '/validation', kind: GIT_GVK, object: mutate(random, BASE_GIT_REPOSITORY) }
  if (roll < 0.65) return { path: '/registry-secret', kind: SECRET_GVK, object: mutate(random, BASE_SECRET) }
  const kind = pick(random, [FUNCTION_GVK, GIT_GVK])
  return { path: kind === FUNCTION_GVK ? pick(random, ['/defaulting', '/validation'] as const) : '/validation', kind, object: randomJson(random, 4) }
}
