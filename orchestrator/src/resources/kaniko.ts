import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { V1Container, V1Job, V1Volume } from '@kubernetes/client-node'
import { parse } from 'yaml'
import type { RuntimeProfile } from './runtime.js'

/** The kaniko/ folder's build Job skeleton and Dockerfiles, loaded once at start-up. */
export interface KanikoTemplates {
  job: V1Job
  repoFetcher: { volume: V1Volume; initContainer: V1Container }
  dockerfiles: Record<RuntimeProfile['language'], string>
}

/** kaniko/ of this repository; the same relative path from src/ (tests) and dist/ (built). */
export const DEFAULT_KANIKO_DIR = fileURLToPath(new URL('../../../kaniko/', import.meta.url))

export function loadKanikoTemplates(dir = DEFAULT_KANIKO_DIR): KanikoTemplates {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8')
  return {
    job: parse(read('build-job.yaml')) as V1Job,
    repoFetcher: parse(read('repo-fetcher.yaml')),
    dockerfiles: {
      nodejs: read('dockerfiles/nodejs.Dockerfile'),
      python: read('dockerfiles/python.Dockerfile'),
    },
  }
}
