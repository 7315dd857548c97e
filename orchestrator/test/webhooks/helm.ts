/** Renders charts/kless with a real helm, built once from its Go module into the cache. */
import { execFile } from 'child_process'
import { join } from 'path'
import { promisify } from 'util'
import { fileURLToPath } from 'url'
import { parseAllDocuments } from 'yaml'
import testkit from '@kless/testkit'

const run = promisify(execFile)
export const CHART = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'charts', 'kless')

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests of every kind
export type Manifest = Record<string, any>

export interface Rendered {
  text: string
  manifests: Manifest[]
  find(kind: string, name: string): Manifest
}

export async function renderChart(namespace: string, ...flags: string[]): Promise<Rendered> {
  const helm = await testkit.helmBinary()
  // The chart's kubeVersion check needs the cluster's version; a go-installed helm does not know one of its own.
  const args = ['template', 'kless', CHART, '--namespace', namespace, '--kube-version', testkit.pinnedVersions().kubernetes, ...flags]
  const { stdout: text } = await run(helm, args, { maxBuffer: 16 * 1024 * 1024 })
  const manifests = parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => Boolean(manifest))
  const find = (kind: string, name: string) => {
    const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)
    if (!found) throw new Error(`the rendered chart has no ${kind} ${name}`)
    return found
  }
  return { text, manifests, find }
}
