/**
 * The registry-secret mutator (the seed's "Admission webhook"): a Secret labelled
 * serverless.kyma-project.io/remote-registry=config gets a `.dockerconfigjson` built from its username, password
 * and serverAddress, so Kaniko can push and kubelets can pull. Credentials are never put in a message or a log.
 */
import { isMap } from '../api/json.js'
import { LABELS } from '../api/types.js'
import { allow, deny, type AdmissionHandler, type JsonPatchOperation } from './admission.js'

export const REGISTRY_CONFIG_LABEL_VALUE = 'config'
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson'
const REQUIRED_KEYS = ['username', 'password', 'serverAddress'] as const

/** The `.dockerconfigjson` document for one registry, as Docker and Kaniko read it. */
export function dockerConfigJson(username: string, password: string, serverAddress: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString('base64')
  return JSON.stringify({ auths: { [serverAddress]: { auth } } })
}

export function registrySecretMutation(): AdmissionHandler {
  return (request) => {
    if (request.kind.group !== '' || request.kind.kind !== 'Secret') return allow()
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow()
    const secret = request.object
    if (!isMap(secret)) return deny('the request carries no Secret object')
    const labels = isMap(secret.metadata) ? secret.metadata.labels : undefined
    if (!isMap(labels) || labels[LABELS.remoteRegistry] !== REGISTRY_CONFIG_LABEL_VALUE) return allow()
    const data = isMap(secret.data) ? secret.data : {}
    const missing = REQUIRED_KEYS.filter((key) => typeof data[key] !== 'string' || data[key] === '')
    if (missing.length > 0) {
      return deny(
        `Secret ${request.namespace ?? ''}/${request.name ?? ''} is labelled ${LABELS.remoteRegistry}=${REGISTRY_CONFIG_LABEL_VALUE} ` +
          `but data.${missing.join(', data.')} ${missing.length === 1 ? 'is' : 'are'} missing or empty; ` +
          `it needs ${REQUIRED_KEYS.join(', ')} (and registryAddress) to build its .dockerconfigjson`,
      )
    }
    const [username, password, serverAddress] = REQUIRED_KEYS.map((key) => Buffer.from(data[key] as string, 'base64').toString('utf8'))
    const dockerConfig = Buffer.from(dockerConfigJson(username, password, serverAddress)).toString('base64')
    const patch: JsonPatchOperation[] = []
    if (data['.dockerconfigjson'] !== dockerConfig) patch.push({ op: 'add', path: '/data/.dockerconfigjson', value: dockerConfig })
    // A Secret's type is immutable, so only a new Secret can be given the dockerconfigjson type.
    if (request.operation === 'CREATE' && secret.type !== DOCKER_CONFIG_JSON_TYPE) patch.push({ op: 'add', path: '/type', value: DOCKER_CONFIG_JSON_TYPE })
    return allow(patch)
  }
}
