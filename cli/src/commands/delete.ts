/** `kless delete`: the Function goes, and with it (by owner references) everything the controller made for it. */
import { ApiError, connect, functionsPath, type ClusterOptions } from '../kube.js'

export async function deleteFunction(name: string, options: ClusterOptions): Promise<string> {
  const kube = await connect(options)
  try {
    await kube.json('DELETE', functionsPath(kube.namespace, name), { propagationPolicy: 'Background' })
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error(`Function ${kube.namespace}/${name} does not exist`)
    throw err
  }
  return `kless: deleted Function ${kube.namespace}/${name}`
}
