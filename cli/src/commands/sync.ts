/** `kless sync`: a deployed Function written back to a folder in the layout `init` makes, ready for `deploy` again. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { Function, GitRepository } from '@kless/orchestrator/api'
import { connect, functionsPath, gitRepositoriesPath, type ClusterOptions } from '../kube.js'
import { workspaceFiles } from '../workspace.js'

export async function sync(name: string, dirArgument: string | undefined, options: ClusterOptions): Promise<string> {
  const kube = await connect(options)
  const fn = await kube.json<Function>('GET', functionsPath(kube.namespace, name))
  const repository = fn.spec.type === 'git' ? await kube.json<GitRepository>('GET', gitRepositoriesPath(kube.namespace, fn.spec.source)) : undefined
  const dir = resolve(dirArgument ?? name)
  const files = workspaceFiles(fn, repository)
  mkdirSync(dir, { recursive: true })
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
  return `kless: wrote ${Object.keys(files).join(', ')} to ${relative(process.cwd(), dir) || '.'}`
}
