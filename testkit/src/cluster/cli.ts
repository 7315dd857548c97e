/**
 * `npm run cluster:up` starts a cluster that runs until `npm run cluster:down`; the pointer to it
 * lives in the cache so both commands find it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs'
import { join } from 'path'
import { cacheDir } from '@kless/runtime-staging'
import { Cluster } from './cluster'

const POINTER = join(cacheDir('clusters'), 'dev-cluster')
const USAGE = 'usage: cluster up [--real-node] | down | status'

function runningCluster(): Cluster | undefined {
  return existsSync(POINTER) ? Cluster.attach(readFileSync(POINTER, 'utf8').trim()) : undefined
}

function describe(cluster: Cluster): string {
  return [
    `Kubernetes ${cluster.kubernetesVersion} at ${cluster.server} with ${cluster.realNode ? 'a real node' : 'kwok nodes'} (files in ${cluster.dir})`,
    `  export KUBECONFIG=${cluster.kubeconfigPath}`,
    `  kubectl: ${cluster.kubectlPath}`,
    `  tests reuse it with: export KLESS_CLUSTER_DIR=${cluster.dir}`,
  ].join('\n')
}

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const unknown = flags.filter((flag) => flag !== '--real-node')
  if (unknown.length > 0) throw new Error(`unknown flag ${unknown[0]}; ${USAGE}`)
  switch (command) {
    case 'up': {
      const running = runningCluster()
      if (running) {
        console.log(`already running: ${describe(running)}`)
        return
      }
      const started = Date.now()
      const node = flags.includes('--real-node') ? 'real' : 'kwok'
      const cluster = await Cluster.start({ node, ownerPid: 0, parentDir: cacheDir('clusters'), log: (line) => console.error(line) })
      writeFileSync(POINTER, cluster.dir)
      console.log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s: ${describe(cluster)}`)
      return
    }
    case 'down': {
      const running = runningCluster()
      if (running) await running.stop()
      rmSync(POINTER, { force: true })
      console.log(running ? `stopped the cluster in ${running.dir}` : 'no cluster was running')
      return
    }
    case 'status': {
      const running = runningCluster()
      console.log(running ? describe(running) : 'no cluster is running')
      return
    }
    default:
      throw new Error(command ? `unknown command "${command}"; ${USAGE}` : USAGE)
  }
}

main(process.argv[2], process.argv.slice(3)).catch((err: Error) => {
  console.error(err.message)
  process.exitCode = 1
})
