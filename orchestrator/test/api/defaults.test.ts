import t from 'tap'
import { DEFAULT_WEBHOOK_VALUES as values } from '../../src/api/config.js'
import { defaultFunction } from '../../src/api/defaults.js'
import { LABELS, type FunctionSpec } from '../../src/api/types.js'
import { fn } from './fixtures.js'

const defaulted = (spec: Partial<FunctionSpec> = {}, labels?: Record<string, string>) => defaultFunction(fn(spec, labels), values).spec

t.test("the seed's default table, row by row", async (t) => {
  const spec = defaulted() as unknown as Record<string, unknown>
  const rows: [string, unknown][] = [
    ['resources.requests.cpu', '50m'],
    ['resources.requests.memory', '64Mi'],
    ['resources.limits.cpu', '100m'],
    ['resources.limits.memory', '128Mi'],
    ['buildResources.requests.cpu', '700m'],
    ['buildResources.requests.memory', '700Mi'],
    ['buildResources.limits.cpu', '1100m'],
    ['buildResources.limits.memory', '1100Mi'],
    ['minReplicas', 1],
    ['maxReplicas', 1],
    ['runtime', 'nodejs12'],
  ]
  for (const [path, expected] of rows) {
    const actual = path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], spec)
    t.equal(actual, expected, path)
  }
})

t.test("replicas presets (the seed's table) from the replicas-preset label", async (t) => {
  const rows: [string, number, number][] = [
    ['S', 1, 1],
    ['M', 1, 2],
    ['L', 1, 5],
    ['XL', 1, 10],
  ]
  for (const [preset, min, max] of rows) {
    const spec = defaulted({}, { [LABELS.replicasPreset]: preset })
    t.same([spec.minReplicas, spec.maxReplicas], [min, max], preset)
  }
})

type PresetRow = [preset: string, requestCpu: string, requestMemory: string, limitCpu: string, limitMemory: string]
const resourcePresetTables: [label: string, field: 'resources' | 'buildResources', rows: PresetRow[]][] = [
  [
    LABELS.functionResourcesPreset,
    'resources',
    [
      ['XS', '10m', '16Mi', '25m', '32Mi'],
      ['S', '25m', '32Mi', '50m', '64Mi'],
      ['M', '50m', '64Mi', '100m', '128Mi'],
      ['L', '100m', '128Mi', '200m', '256Mi'],
      ['XL', '200m', '256Mi', '400m', '512Mi'],
    ],
  ],
  [
    LABELS.buildResourcesPreset,
    'buildResources',
    [
      ['local-dev', '200m', '200Mi', '400m', '400Mi'],
      ['slow', '400m', '400Mi', '700m', '700Mi'],
      ['normal', '700m', '700Mi', '1100m', '1100Mi'],
      ['fast', '1100m', '1100Mi', '1700m', '1700Mi'],
    ],
  ],
]

t.test("the seed's function and build resources preset tables, from the preset labels", async (t) => {
  for (const [label, field, rows] of resourcePresetTables) {
    for (const [preset, requestCpu, requestMemory, limitCpu, limitMemory] of rows) {
      const spec = defaulted({}, { [label]: preset })
      t.same(spec[field], { requests: { cpu: requestCpu, memory: requestMemory }, limits: { cpu: limitCpu, memory: limitMemory } }, `${label}=${preset}`)
    }
  }
})

t.test('an unknown preset name falls back to the default preset of its group', async (t) => {
  const spec = defaulted({}, { [LABELS.replicasPreset]: 'XXL', [LABELS.functionResourcesPreset]: 'toString', [LABELS.buildResourcesPreset]: 'turbo' })
  t.same([spec.minReplicas, spec.maxReplicas], [1, 1])
  t.same(spec.resources, { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } })
  t.same(spec.buildResources, { requests: { cpu: '700m', memory: '700Mi' }, limits: { cpu: '1100m', memory: '1100Mi' } })
})

t.test('values the user set win over the preset', async (t) => {
  const spec = defaulted(
    {
      runtime: 'python38',
      minReplicas: 2,
      maxReplicas: 3,
      resources: { requests: { cpu: '300m' }, limits: { memory: '1Gi' } },
      buildResources: { limits: { cpu: 3 } },
    },
    { [LABELS.replicasPreset]: 'XL', [LABELS.functionResourcesPreset]: 'XS', [LABELS.buildResourcesPreset]: 'fast' },
  )
  t.equal(spec.runtime, 'python38')
  t.same([spec.minReplicas, spec.maxReplicas], [2, 3])
  // requests.cpu 300m is above the XS limit 25m, so the defaulted limit rises to it.
  t.same(spec.resources, { requests: { cpu: '300m', memory: '16Mi' }, limits: { cpu: '300m', memory: '1Gi' } })
  t.same(spec.buildResources, { requests: { cpu: '1100m', memory: '1100Mi' }, limits: { cpu: 3, memory: '1700Mi' } })
})

t.test('defaulted requests never exceed the limits the user gave, and defaulted limits never go below requests', async (t) => {
  const rows: [string, Partial<FunctionSpec>, object, object][] = [
    [
      'small limits lower the defaulted requests',
      { resources: { limits: { cpu: '15m', memory: '15Mi' } } },
      { cpu: '15m', memory: '15Mi' },
      { cpu: '15m', memory: '15Mi' },
    ],
    ['large requests raise the defaulted limits', { resources: { requests: { cpu: 2, memory: '2Gi' } } }, { cpu: 2, memory: '2Gi' }, { cpu: 2, memory: '2Gi' }],
    [
      'limits above the preset request keep the preset request',
      { resources: { limits: { cpu: '1', memory: '1Gi' } } },
      { cpu: '50m', memory: '64Mi' },
      { cpu: '1', memory: '1Gi' },
    ],
    [
      'an unparseable limit is kept and the preset request used (validation rejects it)',
      { resources: { limits: { cpu: 'lots' } } },
      { cpu: '50m', memory: '64Mi' },
      { cpu: 'lots', memory: '128Mi' },
    ],
  ]
  for (const [name, spec, requests, limits] of rows) t.same(defaulted(spec).resources, { requests, limits }, name)
})

t.test('replicas: only max given caps the preset min; only min given sets max to it', async (t) => {
  const rows: [string, Partial<FunctionSpec>, string | undefined, [number, number]][] = [
    ['only min', { minReplicas: 4 }, undefined, [4, 4]],
    ['only min, with a preset', { minReplicas: 2 }, 'L', [2, 2]],
    ['only max', { maxReplicas: 7 }, 'L', [1, 7]],
    ['only max, below the preset min', { maxReplicas: 0 }, 'L', [0, 0]],
    ['neither', {}, 'M', [1, 2]],
  ]
  for (const [name, spec, preset, expected] of rows) {
    const result = defaulted(spec, preset ? { [LABELS.replicasPreset]: preset } : undefined)
    t.same([result.minReplicas, result.maxReplicas], expected, name)
  }
})

t.test('defaulting is idempotent and leaves the input untouched', async (t) => {
  const input = fn({ resources: { limits: { cpu: '15m' } } }, { [LABELS.replicasPreset]: 'M' })
  const snapshot = JSON.parse(JSON.stringify(input))
  const once = defaultFunction(input, values)
  t.same(input, snapshot)
  t.same(defaultFunction(once, values), once)
})

t.test('malformed blocks are left for validation to reject', async (t) => {
  const spec = defaulted({ resources: 'big' as never, buildResources: { requests: [1] as never } })
  t.equal(spec.resources, 'big')
  t.same(spec.buildResources, { requests: [1] })
})
