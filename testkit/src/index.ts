export { cacheDir, cacheRoot } from './cache'
export { withLock } from './lock'
export { goInstall } from './go'
export { freePort, start, waitFor, Started } from './process'
