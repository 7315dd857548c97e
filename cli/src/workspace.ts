/**
 * A function's folder in the Kyma CLI layout: config.yaml beside the handler and its dependency file. Parsing says
 * which file, line and field break which rule; the conversions to and from the Function (and GitRepository) objects
 * are pure, so `deploy`, `sync` and `--dry-run` agree on them.
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { V1EnvVar } from '@kubernetes/client-node'
import { DEFAULT_RUNTIME, RUNTIME_NAMES, runtimeInfo, runtimesOf } from '@kless/runtime-matrix'
import { API_VERSION, type Function, type GitRepository, type ResourceRequirements } from '@kless/orchestrator/api'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Document } from 'yaml'

/** YAML as the CLI writes it: code in literal blocks, so it reads as written. */
export const toYaml = (value: unknown) => stringify(value, { blockQuote: 'literal' })

export const CONFIG_FILE = 'config.yaml'

export interface InlineSource {
  sourceType: 'inline'
  /** The folder with the handler and dependency files, relative to config.yaml's folder; default: that folder. */
  sourcePath?: string
}

export interface GitSource {
  sourceType: 'git'
  url: string
  /** The GitRepository's name; default: the Function's. */
  repository?: string
  reference?: string
  baseDir?: string
  auth?: { type: 'basic' | 'key'; secretName: string }
}

export interface WorkspaceConfig {
  name: string
  namespace?: string
  runtime?: string
  labels?: Record<string, string>
  env?: V1EnvVar[]
  resources?: ResourceRequirements
  replicas?: { min?: number; max?: number }
  source: InlineSource | GitSource
}

/** A config.yaml that breaks a rule: `file:line: field: rule`. */
export class ConfigError extends Error {}

type Check = (value: unknown) => string | undefined

const isText: Check = (value) => (typeof value === 'string' ? undefined : 'must be a string')
const isCount: Check = (value) => (Number.isInteger(value) && (value as number) >= 0 ? undefined : 'must be a whole number, 0 or more')
const isStringMap: Check = (value) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string')
    ? undefined
    : 'must be a map of names to string values'

interface Shape {
  [key: string]: { check?: Check; shape?: Shape; list?: boolean; required?: boolean }
}

const RESOURCE_LIST: Shape = { cpu: {}, memory: {} }
const CONFIG_SHAPE: Shape = {
  name: { check: isText, required: true },
  namespace: { check: isText },
  runtime: { check: isText },
  labels: { check: isStringMap },
  env: {
    list: true,
    shape: { name: { check: isText, required: true }, value: { check: isText }, valueFrom: { shape: { configMapKeyRef: {}, secretKeyRef: {} } } },
  },
  resources: { shape: { requests: { shape: RESOURCE_LIST }, limits: { shape: RESOURCE_LIST } } },
  replicas: { shape: { min: { check: isCount }, max: { check: isCount } } },
  source: {
    required: true,
    shape: {
      sourceType: { check: (value) => (value === 'inline' || value === 'git' ? undefined : 'must be inline or git'), required: true },
      sourcePath: { check: isText },
      url: { check: isText },
      repository: { check: isText },
      reference: { check: isText },
      baseDir: { check: isText },
      auth: {
        shape: {
          type: { check: (value) => (value === 'basic' || value === 'key' ? undefined : 'must be basic or key'), required: true },
          secretName: { check: isText, required: true },
        },
      },
    },
  },
}

/** Checks the document against the shape; each problem carries the line of the node it is about. */
function shapeProblems(doc: Document, lines: LineCounter, shape: Shape, path: (string | number)[]): string[] {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true)
  const at = (target: unknown) => {
    const range = (target as { range?: [number] } | undefined)?.range
    return range ? `:${lines.linePos(range[0]).line}` : ''
  }
  const field = (key: string | number) => [...path, key].join('.')
  if (!isMap(node)) return [`${at(node)}: ${path.join('.') || 'the file'}: must be a map`]
  const problems: string[] = []
  for (const pair of node.items) {
    const key = String((pair.key as { value?: unknown })?.value)
    if (!(key in shape)) problems.push(`${at(pair.key)}: ${field(key)}: unknown field; known fields: ${Object.keys(shape).join(', ')}`)
  }
  for (const [key, rule] of Object.entries(shape)) {
    const child = node.get(key, true) as unknown
    if (child === undefined) {
      if (rule.required) problems.push(`${at(node)}: ${field(key)}: is required`)
      continue
    }
    if (rule.list) {
      if (!isSeq(child)) {
        problems.push(`${at(child)}: ${field(key)}: must be a list`)
        continue
      }
      child.items.forEach((_, index) => problems.push(...shapeProblems(doc, lines, rule.shape ?? {}, [...path, key, index])))
      continue
    }
    if (rule.shape) {
      problems.push(...shapeProblems(doc, lines, rule.shape, [...path, key]))
      continue
    }
    const problem = rule.check?.(isScalar(child) ? child.value : (child as { toJSON(): unknown }).toJSON())
    if (problem) problems.push(`${at(child)}: ${field(key)}: ${problem}`)
  }
  return problems
}

/** Parses config.yaml text; `file` names it in errors. */
export function parseConfig(text: string, file: string): WorkspaceConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const syntax = doc.errors[0]
  if (syntax) throw new ConfigError(`${file}:${lines.linePos(syntax.pos[0]).line}: ${syntax.message.split('\n')[0]}`)
  const problems = shapeProblems(doc, lines, CONFIG_SHAPE, [])
  const config = doc.toJS() as WorkspaceConfig
  if (problems.length === 0 && config.source.sourceType === 'git' && !config.source.url) {
    problems.push(`:${lines.linePos((doc.getIn(['source'], true) as { range: [number] }).range[0]).line}: source.url: is required for a git source`)
  }
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `${file}${problem}`).join('\n'))
  return config
}

export function readConfig(file: string): WorkspaceConfig {
  if (!existsSync(file)) throw new ConfigError(`${file} does not exist; write one with \`kless init ${dirname(file)}\``)
  return parseConfig(readFileSync(file, 'utf8'), file)
}

/** The folder holding the handler of an inline config read from `configFile`. */
export function sourceDir(config: WorkspaceConfig, configFile: string): string {
  const base = dirname(resolve(configFile))
  return config.source.sourceType === 'inline' && config.source.sourcePath ? resolve(base, config.source.sourcePath) : base
}

/** The runtime a folder's handler file implies, when nothing names one: the seed's default for Node, the first Python. */
export function detectRuntime(dir: string): string | undefined {
  const byLanguage = [DEFAULT_RUNTIME, runtimesOf('python')[0]]
  return byLanguage.find((runtime) => existsSync(join(dir, runtimeInfo(runtime).handlerFile)))
}

/** --runtime, else config.yaml's, else the handler file's; an error names the choices. */
export function resolveRuntime(given: string | undefined, dir: string): string {
  const runtime = given ?? detectRuntime(dir)
  if (runtime === undefined) {
    const files = [...new Set(RUNTIME_NAMES.map((name) => runtimeInfo(name).handlerFile))].join(' or ')
    throw new ConfigError(`${dir} holds no ${files}; create one with \`kless init ${dir}\``)
  }
  if (!RUNTIME_NAMES.includes(runtime)) throw new ConfigError(`unknown runtime "${runtime}"; choose one of ${RUNTIME_NAMES.join(', ')}`)
  return runtime
}

export interface DeployObjects {
  function: Function
  /** For a git source: the repository the Function reads. */
  repository?: GitRepository
}

const readIfThere = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined)

/** The Function (and GitRepository) that config.yaml describes, with an inline source read from its folder. */
export function deployObjects(config: WorkspaceConfig, configFile: string, namespace: string): DeployObjects {
  const metadata = { name: config.name, namespace, ...(config.labels ? { labels: config.labels } : {}) }
  const common = {
    ...(config.env ? { env: config.env } : {}),
    ...(config.resources ? { resources: config.resources } : {}),
    ...(config.replicas?.min !== undefined ? { minReplicas: config.replicas.min } : {}),
    ...(config.replicas?.max !== undefined ? { maxReplicas: config.replicas.max } : {}),
  }
  const { source } = config
  if (source.sourceType === 'git') {
    const repository = source.repository ?? config.name
    return {
      function: {
        apiVersion: API_VERSION,
        kind: 'Function',
        metadata,
        spec: {
          type: 'git',
          source: repository,
          ...(config.runtime ? { runtime: config.runtime } : {}),
          ...(source.reference ? { reference: source.reference } : {}),
          ...(source.baseDir ? { baseDir: source.baseDir } : {}),
          ...common,
        },
      },
      repository: {
        apiVersion: API_VERSION,
        kind: 'GitRepository',
        metadata: { name: repository, namespace },
        spec: { url: source.url, ...(source.auth ? { auth: source.auth } : {}) },
      },
    }
  }
  const dir = sourceDir(config, configFile)
  const runtime = config.runtime ?? resolveRuntime(undefined, dir)
  // A runtime the matrix does not know is the validating webhook's to refuse; its files are those the folder has.
  const { handlerFile, depsFile } = runtimeInfo(RUNTIME_NAMES.includes(runtime) ? runtime : (detectRuntime(dir) ?? DEFAULT_RUNTIME))
  const code = readIfThere(join(dir, handlerFile))
  if (code === undefined) throw new ConfigError(`${join(dir, handlerFile)} does not exist: ${runtime} reads its code from ${handlerFile}`)
  const deps = readIfThere(join(dir, depsFile))
  return { function: { apiVersion: API_VERSION, kind: 'Function', metadata, spec: { runtime, source: code, ...(deps?.trim() ? { deps } : {}), ...common } } }
}

/** The files that give back a deployed Function in this layout: config.yaml, and for an inline source its code and deps. */
export function workspaceFiles(fn: Function, repository?: GitRepository): Record<string, string> {
  const { spec } = fn
  const config: WorkspaceConfig = {
    name: fn.metadata.name as string,
    namespace: fn.metadata.namespace,
    ...(spec.runtime ? { runtime: spec.runtime } : {}),
    ...(fn.metadata.labels && Object.keys(fn.metadata.labels).length > 0 ? { labels: fn.metadata.labels } : {}),
    ...(spec.env?.length ? { env: spec.env } : {}),
    ...(spec.resources ? { resources: spec.resources } : {}),
    ...(spec.minReplicas !== undefined || spec.maxReplicas !== undefined ? { replicas: { min: spec.minReplicas, max: spec.maxReplicas } } : {}),
    source:
      spec.type === 'git'
        ? {
            sourceType: 'git',
            url: repository?.spec.url ?? '',
            repository: spec.source,
            ...(spec.reference ? { reference: spec.reference } : {}),
            ...(spec.baseDir ? { baseDir: spec.baseDir } : {}),
            ...(repository?.spec.auth ? { auth: repository.spec.auth } : {}),
          }
        : { sourceType: 'inline' },
  }
  const files: Record<string, string> = { [CONFIG_FILE]: toYaml(config) }
  if (spec.type !== 'git') {
    const { handlerFile, depsFile } = runtimeInfo(spec.runtime ?? DEFAULT_RUNTIME)
    files[handlerFile] = spec.source
    files[depsFile] = spec.deps ?? ''
  }
  return files
}

/** A DNS label from a folder's name, for `init` without --name. */
export function nameFromFolder(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 63)
  return name || 'my-function'
}
