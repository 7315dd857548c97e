/** What clients of the API (the CLI) import: the types, and the webhooks' own defaulting and validation, offline. */
export * from './types.js'
export { DEFAULT_WEBHOOK_VALUES, type WebhookValues } from './config.js'
export { admitOffline, type OfflineAdmission } from '../webhooks/offline.js'
