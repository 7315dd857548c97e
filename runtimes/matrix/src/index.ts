/**
 * The runtime matrix: every runtime kless serves, read from ../matrix.json, the only place a runtime name,
 * interpreter version or image is written. The controller, the CLI, testkit, the conformance runner and the
 * benchmarks all read it from here.
 */
import { readFileSync } from 'fs'
import { join } from 'path'

/** The languages that have a host (runtimes/node-host, runtimes/python-host). */
export const LANGUAGES = ['nodejs', 'python'] as const
export type Language = (typeof LANGUAGES)[number]

export interface RuntimeInfo {
  /** As in a Function's spec.runtime, e.g. `nodejs12`. */
  name: string
  language: Language
  /** The exact interpreter release, e.g. `12.22.12`. */
  version: string
  /** The upstream image the runtime image is built from, e.g. `node:12.22.12-alpine`. */
  base: string
  /** The runtime image's name without tag, e.g. `kless/runtime-nodejs12`; function builds start from it. */
  image: string
  imageTag: string
  /** The function's source and dependency files, in the build context and in /kubeless. */
  handlerFile: string
  depsFile: string
}

export interface RuntimeMatrix {
  default: string
  /** Runtimes in the file's order: the seed's first. */
  runtimes: RuntimeInfo[]
}

export const MATRIX_FILE = join(__dirname, '..', 'matrix.json')

const RUNTIME_FIELDS = ['language', 'version', 'base', 'image', 'handlerFile', 'depsFile'] as const
const NAME = /^[a-z][a-z0-9]*$/
const VERSION = /^\d+\.\d+\.\d+$/
/** A reference without tag or digest: the tag is the matrix's imageTag. */
const UNTAGGED_IMAGE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Checks a parsed matrix.json; throws one error naming the file and every bad field. */
export function parseMatrix(raw: unknown, source: string): RuntimeMatrix {
  const problems: string[] = []
  const text = (value: unknown, field: string, pattern?: RegExp, shape?: string): string => {
    if (typeof value !== 'string' || value === '') problems.push(`${field} must be a non-empty string, got ${JSON.stringify(value)}`)
    else if (pattern && !pattern.test(value)) problems.push(`${field} must be ${shape}, got ${JSON.stringify(value)}`)
    return String(value)
  }
  const known = (value: Record<string, unknown>, at: string, keys: readonly string[]) => {
    for (const key of Object.keys(value)) if (!keys.includes(key)) problems.push(`${at}${key} is not a known field (known: ${keys.join(', ')})`)
  }

  if (!isMap(raw)) throw new Error(`${source}: the runtime matrix must be a JSON object`)
  known(raw, '', ['$comment', 'default', 'imageTag', 'runtimes'])
  const imageTag = text(raw.imageTag, 'imageTag', TAG, 'a Docker tag like 0.1.0')
  const runtimes: RuntimeInfo[] = []
  if (!isMap(raw.runtimes) || Object.keys(raw.runtimes).length === 0) {
    problems.push('runtimes must be a non-empty object of runtime name → fields')
  } else {
    for (const [name, entry] of Object.entries(raw.runtimes)) {
      const at = `runtimes.${name}`
      if (!NAME.test(name)) problems.push(`${at}: a runtime name must be lower-case letters and digits, starting with a letter`)
      if (!isMap(entry)) {
        problems.push(`${at} must be an object with ${RUNTIME_FIELDS.join(', ')}`)
        continue
      }
      known(entry, `${at}.`, RUNTIME_FIELDS)
      const language = entry.language as Language
      if (!LANGUAGES.includes(language)) problems.push(`${at}.language must be one of ${LANGUAGES.join(', ')}, got ${JSON.stringify(entry.language)}`)
      runtimes.push({
        name,
        language,
        version: text(entry.version, `${at}.version`, VERSION, 'an exact release like 12.22.12'),
        base: text(entry.base, `${at}.base`),
        image: text(entry.image, `${at}.image`, UNTAGGED_IMAGE, 'an image name without tag, like kless/runtime-nodejs12'),
        imageTag,
        handlerFile: text(entry.handlerFile, `${at}.handlerFile`),
        depsFile: text(entry.depsFile, `${at}.depsFile`),
      })
    }
  }
  const fallback = text(raw.default, 'default')
  if (runtimes.length > 0 && !runtimes.some((runtime) => runtime.name === fallback)) {
    problems.push(`default must name one of the runtimes (${runtimes.map((runtime) => runtime.name).join(', ')}), got ${JSON.stringify(raw.default)}`)
  }
  if (problems.length > 0) throw new Error(`${source}: invalid runtime matrix:\n  ${problems.join('\n  ')}`)
  return { default: fallback, runtimes }
}

export function loadMatrix(file = MATRIX_FILE): RuntimeMatrix {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: cannot read the runtime matrix: ${(err as Error).message}`)
  }
  return parseMatrix(raw, file)
}

const matrix = loadMatrix()
const byName = new Map(matrix.runtimes.map((runtime) => [runtime.name, runtime]))

/** Every runtime name, in the matrix's order. */
export const RUNTIME_NAMES: readonly string[] = matrix.runtimes.map((runtime) => runtime.name)
/** The runtime of a Function that names none. */
export const DEFAULT_RUNTIME: string = matrix.default

export function isRuntimeName(name: string): boolean {
  return byName.has(name)
}

/** One runtime's entry; throws naming the known runtimes for any other name. */
export function runtimeInfo(name: string): RuntimeInfo {
  const found = byName.get(name)
  if (!found) throw new Error(`unknown runtime "${name}"; the runtime matrix lists ${RUNTIME_NAMES.join(', ')}`)
  return found
}

/** The runtimes of one language, in the matrix's order. */
export function runtimesOf(language: Language): string[] {
  return matrix.runtimes.filter((runtime) => runtime.language === language).map((runtime) => runtime.name)
}

/** The runtime image reference, `<prefix><image>:<imageTag>`; the prefix is a registry such as `registry.example:5000/`. */
export function runtimeImage(name: string, prefix = ''): string {
  const { image, imageTag } = runtimeInfo(name)
  return `${prefix}${image}:${imageTag}`
}
