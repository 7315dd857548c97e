import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Job,
  type V1Secret,
  type V1Service,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node'
import { GROUP, LABELS, MANAGED_BY_CONTROLLER, VERSION, type Function, type GitRepository } from '../api/types.js'
import { Store } from './store.js'

/** Everything the controller watches: its Functions, its children and the registry Secrets. */
export interface Stores {
  functions: Store<Function>
  gitRepositories: Store<GitRepository>
  configMaps: Store<V1ConfigMap>
  jobs: Store<V1Job>
  deployments: Store<V1Deployment>
  services: Store<V1Service>
  autoscalers: Store<V2HorizontalPodAutoscaler>
  /** Registry Secrets labelled config=credentials: the cluster-wide ones and their namespace copies. */
  credentialSecrets: Store<V1Secret>
  /** Registry Secrets a user created in a namespace (label remote-registry=config). */
  userRegistrySecrets: Store<V1Secret>
}

export function createStores(kc: KubeConfig, log: (message: string) => void): Stores {
  const custom = kc.makeApiClient(CustomObjectsApi)
  const core = kc.makeApiClient(CoreV1Api)
  const apps = kc.makeApiClient(AppsV1Api)
  const batch = kc.makeApiClient(BatchV1Api)
  const autoscaling = kc.makeApiClient(AutoscalingV2Api)
  const owned = `${LABELS.managedBy}=${MANAGED_BY_CONTROLLER}`
  const customList = <T>(plural: string) => () =>
    custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<KubernetesListObject<T & { metadata: object }>>
  const base = `/apis/${GROUP}/${VERSION}`
  return {
    functions: new Store<Function>('functions', kc, `${base}/functions`, customList<Function>('functions'), undefined, log),
    gitRepositories: new Store<GitRepository>('gitrepositories', kc, `${base}/gitrepositories`, customList<GitRepository>('gitrepositories'), undefined, log),
    configMaps: new Store('configmaps', kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces({ labelSelector: owned }), owned, log),
    jobs: new Store('jobs', kc, '/apis/batch/v1/jobs', () => batch.listJobForAllNamespaces({ labelSelector: owned }), owned, log),
    deployments: new Store('deployments', kc, '/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces({ labelSelector: owned }), owned, log),
    services: new Store('services', kc, '/api/v1/services', () => core.listServiceForAllNamespaces({ labelSelector: owned }), owned, log),
    autoscalers: new Store(
      'horizontalpodautoscalers',
      kc,
      '/apis/autoscaling/v2/horizontalpodautoscalers',
      () => autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector: owned }),
      owned,
      log,
    ),
    credentialSecrets: new Store(
      'credential secrets',
      kc,
      '/api/v1/secrets',
      () => core.listSecretForAllNamespaces({ labelSelector: `${LABELS.config}=credentials` }),
      `${LABELS.config}=credentials`,
      log,
    ),
    userRegistrySecrets: new Store(
      'registry secrets',
      kc,
      '/api/v1/secrets',
      () => core.listSecretForAllNamespaces({ labelSelector: `${LABELS.remoteRegistry}=config` }),
      `${LABELS.remoteRegistry}=config`,
      log,
    ),
  }
}

export function allStores(stores: Stores): Store<never>[] {
  return Object.values(stores) as Store<never>[]
}
