import { API_VERSION, type Function, type FunctionSpec, type GitRepository, type GitRepositorySpec } from '../../src/api/types.js'

/** A Function as an author writes it: only what `spec` and `labels` add. */
export function fn(spec: Partial<FunctionSpec> = {}, labels?: Record<string, string>, name = 'hello'): Function {
  return {
    apiVersion: API_VERSION,
    kind: 'Function',
    metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { source: 'module.exports = { main: () => "hi" }', ...spec },
  }
}

export function gitRepository(spec: Partial<GitRepositorySpec>): GitRepository {
  return { apiVersion: API_VERSION, kind: 'GitRepository', metadata: { name: 'repo', namespace: 'default' }, spec: spec as GitRepositorySpec }
}
