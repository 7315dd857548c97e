import { goInstall } from './go'
import { pythonTool } from './python-runtime'

/** The tools tests run besides the cluster, pinned here so the bootstrap and the tests build the same ones. */
export const HELM = { module: 'helm.sh/helm/v3/cmd/helm', version: 'v3.16.4' }
export const VERMIN_VERSION = '1.6.0'

export function helmBinary(): Promise<string> {
  return goInstall(HELM.module, HELM.version, 'helm')
}

export function verminTool(): Promise<string> {
  return pythonTool('vermin', VERMIN_VERSION)
}
