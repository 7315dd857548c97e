import type { Function } from '../api/types.js'
import { RUNTIMES } from '../api/types.js'
import { TerminalError, type ReconcileResult } from '../controller/queue.js'
import { imageName, imageTag } from '../resources/image.js'
import { deploymentName } from '../resources/deployment.js'
import { requestedRuntime, runtimeProfile } from '../resources/runtime.js'
import { reconcileBuild } from './build.js'
import { describe, type ControllerContext, type Pass } from './context.js'
import { namespaceRegistry } from './registry.js'
import { reconcileGitSource, reconcileSourceConfigMap } from './source.js'
import { sameStatus, StatusDraft } from './status.js'
import { reconcileWorkload } from './workload.js'

/**
 * One level-triggered pass over a Function: source, build, then workload, each stage comparing what
 * exists with what the Function asks for and acting only on the difference. The pass stops where it has
 * to wait (a build running, a build slot taken); the watch on the children brings it back. The status it
 * arrives at is written once at the end, with an Event per condition change.
 */
export async function reconcileFunction(ctx: ControllerContext, key: string): Promise<ReconcileResult> {
  const [namespace, name] = key.split('/')
  const fn = ctx.stores.functions.get(namespace, name)
  // Children carry owner references, so the garbage collector removes them with the Function.
  if (!fn || fn.metadata.deletionTimestamp) {
    ctx.slots.forget(key)
    return {}
  }
  const runtime = requestedRuntime(fn)
  const profile = runtimeProfile(runtime)
  const draft = new StatusDraft(fn)
  // status.runtime only ever holds a runtime the API accepts; a write with any other would fail as a whole.
  if (profile) draft.status.runtime = profile.runtime
  try {
    if (!profile) {
      draft.set(
        'ConfigurationReady',
        'False',
        'SourceUpdateFailed',
        `Function ${describe(fn)} asks for runtime "${runtime}", which is not one of ${RUNTIMES.join(', ')}`,
      )
      throw new TerminalError(`unknown runtime ${runtime} in Function ${key}`)
    }
    return await runStages(ctx, { fn, profile, draft })
  } finally {
    await writeStatus(ctx, fn, draft)
  }
}

async function runStages(ctx: ControllerContext, pass: Pass): Promise<ReconcileResult> {
  const { fn, profile } = pass
  const namespace = fn.metadata.namespace as string
  let git
  let configMapName: string | undefined
  if (fn.spec.type === 'git') {
    const source = await reconcileGitSource(ctx, pass)
    if (source.stop) return source.stop
    git = source.git
  } else {
    configMapName = await reconcileSourceConfigMap(ctx, pass)
  }

  const registry = await namespaceRegistry(ctx, namespace)
  const tag = imageTag(fn, profile, git?.revision)
  const pullImage = imageName(registry.pullAddress, fn, tag)
  const running = ctx.stores.deployments.get(namespace, deploymentName(fn))?.spec?.template?.spec?.containers?.[0]?.image
  const build = await reconcileBuild(
    ctx,
    pass,
    {
      registry,
      destination: imageName(registry.pushAddress, fn, tag),
      pullImage,
      source: git
        ? { kind: 'git', ...git, fetcherImage: ctx.config.repoFetcherImage }
        : { kind: 'inline', configMapName: configMapName as string },
    },
    running,
  )
  if (build.stop) return build.stop

  const workload = await reconcileWorkload(ctx, pass, pullImage)
  return workload.stop ?? {}
}

async function writeStatus(ctx: ControllerContext, fn: Function, draft: StatusDraft): Promise<void> {
  if (sameStatus(fn.status, draft.status)) return
  const written = await ctx.writer.writeStatus(fn, draft.status)
  if (!written) return
  ctx.stores.functions.remember(written)
  await Promise.all(
    draft.changes.map((change) =>
      ctx.writer.recordEvent(written, change).catch((err) => ctx.log(`event ${change.reason} for ${describe(fn)} not recorded: ${(err as Error).message}`)),
    ),
  )
}
