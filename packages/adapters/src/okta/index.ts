/** The Okta client module: one client for every Okta call (pacing, retries, https only, bounded errors). */
export { OKTA_READ_SCOPES, type OktaCredentials } from "./auth.ts";
export {
  type CheckpointStore,
  dynamoDbCheckpointStore,
  memoryCheckpointStore,
  type StoredCheckpoint,
} from "./checkpoint-store.ts";
export {
  DEFAULT_OKTA_MAX_REQUESTS_PER_MINUTE,
  makeOktaClient,
  nextLink,
  type OktaClient,
  type OktaClientOptions,
  type OktaClientStats,
  type OktaResponse,
  oktaOrigin,
  type RequestHints,
  retryDelayMs,
} from "./client.ts";
export {
  isOktaError,
  OktaApiError,
  OktaAuthError,
  type OktaError,
  OktaNetworkError,
  OktaRequestRefusedError,
  OktaRetriesExhaustedError,
} from "./errors.ts";
export { type EventHook, type EventHookSpec, type OktaEventHookClient, oktaEventHooks } from "./event-hooks.ts";
export { type AuditedDelivery, dynamoDbLedgerAudit, type LedgerAudit, sqliteLedgerAudit } from "./ledger-audit.ts";
export {
  type AwsEventBridgeSettings,
  LOG_STREAM_TYPE,
  type LogStream,
  type LogStreamStatus,
  makeOktaLogStreamClient,
  type OktaLogStreamClient,
  type OktaLogStreamClientOptions,
  oktaLogStreams,
} from "./log-streams.ts";
export { describeOktaError, redactCredentials, safeOktaText } from "./safe-text.ts";
export { type OktaSettings, type OktaSource, readOktaSettings } from "./settings.ts";
export {
  eventTypeFilter,
  oktaSystemLog,
  SYSTEM_LOG_MAX_LIMIT,
  type SystemLogPage,
  type SystemLogQuery,
  type SystemLogReader,
} from "./system-log.ts";
export { oktaUserStatusFromConfig, oktaUserStatusLayer, readOktaUserStatus, userStatusOf } from "./user-status.ts";
