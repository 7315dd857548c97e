import { join } from 'path'
import { cacheDir, pythonInterpreter, PYTHON_VERSIONS, venvWith } from '@kless/runtime-staging'
import { goInstall } from './go'

/** The tools tests run besides the cluster, pinned here so the bootstrap and the tests build the same ones. */
export const HELM = { module: 'helm.sh/helm/v3/cmd/helm', version: 'v3.16.4' }
export const VERMIN_VERSION = '1.6.0'

export function helmBinary(): Promise<string> {
  return goInstall(HELM.module, HELM.version, 'helm')
}

export function verminTool(): Promise<string> {
  return pythonTool('vermin', VERMIN_VERSION)
}

/** A console script of a PyPI tool (`vermin`, `ruff`) at a pinned version, in a cached venv of the newest runtime's Python. */
export async function pythonTool(name: string, version: string): Promise<string> {
  const newest = Object.values(PYTHON_VERSIONS).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))[0]
  const interpreter = pythonInterpreter(newest)
  const python = await venvWith(cacheDir('python-tools', `${name}-${version}`), interpreter.path, [`${name}==${version}`])
  return join(python, '..', name)
}
