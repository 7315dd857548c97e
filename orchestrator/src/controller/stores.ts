import {
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Job,
  type V1Pod,
  type V1Secret,
  type V1Service,
  type V1ServiceAccount,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node'
import { API_VERSION, GROUP, LABELS, MANAGED_BY_CONTROLLER, VERSION, type Function, type GitRepository } from '../api/types.js'
import type { Log } from '../log.js'
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
  /** The pods of Function Deployments and build Jobs: a crash loop, a failed image pull or a build's error shows here first. */
  pods: Store<V1Pod>
  /** The per-namespace ServiceAccounts of Function and build pods. */
  serviceAccounts: Store<V1ServiceAccount>
  /** Registry Secrets labelled config=credentials: the cluster-wide ones and their namespace copies. */
  credentialSecrets: Store<V1Secret>
  /** Registry Secrets a user created in a namespace (label remote-registry=config). */
  userRegistrySecrets: Store<V1Secret>
}

/**
 * @param namespace watch only this namespace (one controller per namespace, as tests run them);
 *   undefined watches the whole cluster. Registry Secrets are always watched cluster-wide, since the
 *   cluster-wide ones live in the system namespace.
 */
export function createStores(kc: KubeConfig, log: Log, namespace?: string): Stores {
  const objects = KubernetesObjectApi.makeApiClient(kc)
  const owned = `${LABELS.managedBy}=${MANAGED_BY_CONTROLLER}`
  const store = <T extends KubernetesObject>(apiVersion: string, kind: string, plural: string, labelSelector?: string, clusterWide = false) => {
    const scope = clusterWide ? undefined : namespace
    const prefix = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`
    const path = `${prefix}/${scope ? `namespaces/${scope}/` : ''}${plural}`
    const list = () => objects.list<T>(apiVersion, kind, scope, undefined, undefined, undefined, undefined, labelSelector)
    return new Store<T>(plural, kc, path, list, labelSelector, log)
  }
  return {
    functions: store<Function>(API_VERSION, 'Function', 'functions'),
    gitRepositories: store<GitRepository>(`${GROUP}/${VERSION}`, 'GitRepository', 'gitrepositories'),
    configMaps: store<V1ConfigMap>('v1', 'ConfigMap', 'configmaps', owned),
    jobs: store<V1Job>('batch/v1', 'Job', 'jobs', owned),
    deployments: store<V1Deployment>('apps/v1', 'Deployment', 'deployments', owned),
    services: store<V1Service>('v1', 'Service', 'services', owned),
    autoscalers: store<V2HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', owned),
    pods: store<V1Pod>('v1', 'Pod', 'pods', owned),
    serviceAccounts: store<V1ServiceAccount>('v1', 'ServiceAccount', 'serviceaccounts', owned),
    credentialSecrets: store<V1Secret>('v1', 'Secret', 'secrets', `${LABELS.config}=credentials`, true),
    userRegistrySecrets: store<V1Secret>('v1', 'Secret', 'secrets', `${LABELS.remoteRegistry}=config`, true),
  }
}

export function allStores(stores: Stores): Store<never>[] {
  return Object.values(stores) as Store<never>[]
}

/** The store a written object of this kind belongs in (the Secrets the controller writes are registry copies). */
export function storeOfKind(stores: Stores, kind: string | undefined): Store<KubernetesObject> | undefined {
  const byKind: Record<string, unknown> = {
    Function: stores.functions,
    ConfigMap: stores.configMaps,
    Job: stores.jobs,
    Deployment: stores.deployments,
    Service: stores.services,
    HorizontalPodAutoscaler: stores.autoscalers,
    ServiceAccount: stores.serviceAccounts,
    Secret: stores.credentialSecrets,
  }
  return kind === undefined ? undefined : (byKind[kind] as Store<KubernetesObject> | undefined)
}
