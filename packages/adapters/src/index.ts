/**
 * @offboard/adapters: driven adapters for the core's ports (Slack, Jira, BambooHR, Secrets Manager,
 * ledgers, console preview) and the configuration that builds them. One folder per vendor; this file
 * names everything other packages may use, and nothing else.
 *
 * Each vendor also has its own entry point, so code that needs one adapter does not load (or type-check)
 * the others' SDKs: `@offboard/adapters/slack`, `/jira`, `/bamboohr`, `/ledger-dynamodb`,
 * `/ledger-sqlite`, and `/sink-definition` (types only, for writing a sink).
 *
 * @example
 * ```ts
 * import { hrisFromConfig, loadConfig, sinksFromConfig } from "@offboard/adapters";
 * import { SqliteLedger } from "@offboard/adapters/ledger-sqlite";
 * import { PipelineConfig, processBatch, sinksLayer } from "@offboard/core";
 * import { Effect, Layer } from "effect";
 *
 * const config = await Effect.runPromise(loadConfig()); // environment + OFFBOARD_SECRET_ARN, validated
 * const layer = Layer.mergeAll(
 *   PipelineConfig.layer({ policy: config.policy }),
 *   SqliteLedger.layer({ path: ".offboard/ledger.sqlite" }),
 *   hrisFromConfig(config),
 *   sinksLayer(sinksFromConfig(config)),
 * );
 * ```
 *
 * @packageDocumentation
 */

export { bambooHrDirectory, DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS } from "./bamboohr/definition.ts";
export { BambooHrDirectory, type BambooHrOptions, makeBambooHrDirectory } from "./bamboohr/directory.ts";
export type { BambooHrSettings } from "./bamboohr/settings.ts";
export { type AppConfig, configFromSources, type LoadConfigOptions, loadConfig } from "./config/config.ts";
export { describeConfig } from "./config/describe.ts";
export {
  CONFIG_KEYS,
  CORE_CONFIG_KEYS,
  configKeys,
  DEFAULT_STATE_DIR,
  DEFAULT_TIME_ZONE,
  SECRET_KEYS,
} from "./config/keys.ts";
export { nearestKey, OFFBOARD_KEY_PREFIXES, unknownKeyWarnings } from "./config/unknown-keys.ts";
export { ConfigError } from "./errors.ts";
export { jiraSink } from "./jira/definition.ts";
export {
  DEFAULT_JIRA_CHECKLIST,
  DEFAULT_JIRA_ISSUE_TYPE,
  DEFAULT_JIRA_KINDS,
  JIRA_SINK,
  type JiraSettings,
} from "./jira/settings.ts";
export { makeJiraSink } from "./jira/sink.ts";
export {
  createLedgerTable,
  DynamoDbLedger,
  type DynamoDbLedgerOptions,
  makeDynamoDbLedger,
} from "./ledger/dynamodb.ts";
export {
  DEFAULT_SQLITE_LEDGER_PATH,
  makeSqliteLedger,
  purgeSqliteLedger,
  SQLITE_LEDGER_SCHEMA_VERSION,
  SqliteLedger,
  type SqliteLedgerOptions,
} from "./ledger/sqlite.ts";
export { prepareDirOf, prepareStateDir, StateDirError } from "./ledger/state-dir.ts";
// ── Okta: the one client for every Okta call (okta/index.ts lists the same names) ──
export { OKTA_READ_SCOPES, type OktaCredentials } from "./okta/auth.ts";
export {
  type CheckpointStore,
  dynamoDbCheckpointStore,
  memoryCheckpointStore,
  type StoredCheckpoint,
} from "./okta/checkpoint-store.ts";
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
} from "./okta/client.ts";
export {
  isOktaError,
  OktaApiError,
  OktaAuthError,
  type OktaError,
  OktaNetworkError,
  OktaRequestRefusedError,
  OktaRetriesExhaustedError,
} from "./okta/errors.ts";
export { type EventHook, type EventHookSpec, type OktaEventHookClient, oktaEventHooks } from "./okta/event-hooks.ts";
export { type AuditedDelivery, dynamoDbLedgerAudit, type LedgerAudit, sqliteLedgerAudit } from "./okta/ledger-audit.ts";
export {
  type AwsEventBridgeSettings,
  LOG_STREAM_TYPE,
  type LogStream,
  type LogStreamStatus,
  makeOktaLogStreamClient,
  type OktaLogStreamClient,
  type OktaLogStreamClientOptions,
  oktaLogStreams,
} from "./okta/log-streams.ts";
export { describeOktaError, redactCredentials, safeOktaText } from "./okta/safe-text.ts";
export { type OktaSettings, type OktaSource, readOktaSettings } from "./okta/settings.ts";
export {
  eventTypeFilter,
  oktaSystemLog,
  SYSTEM_LOG_MAX_LIMIT,
  type SystemLogPage,
  type SystemLogQuery,
  type SystemLogReader,
} from "./okta/system-log.ts";
export { oktaUserStatusFromConfig, oktaUserStatusLayer, readOktaUserStatus, userStatusOf } from "./okta/user-status.ts";
export { type ConsolePreviewOptions, consolePreviewSink, DEFAULT_PREVIEW_CHECKLIST } from "./preview/console.ts";
export { DEFAULT_OUTBOX_PATH, type OutboxEntry, type OutboxOptions, outboxSink } from "./preview/outbox.ts";
export {
  type AnyHrisDefinition,
  type AnySinkDefinition,
  activeSinkNames,
  type CommonSettings,
  type ConfigKey,
  HRIS_DEFINITION,
  type HrisDefinition,
  hrisFromConfig,
  hrisSettings,
  KNOWN_SINKS,
  type SettingsReader,
  SINK_REGISTRY,
  type SinkDefinition,
  type SinkName,
  type SinkRegistry,
  sinkSettings,
  sinksFromConfig,
} from "./registry.ts";
export {
  DEFAULT_SECRET_TTL_MS,
  makeSecretCache,
  type SecretCache,
  type SecretCacheOptions,
  type SecretValues,
  secretTtlMs,
  sharedSecretCache,
} from "./secrets/secret-cache.ts";
export { slackSink } from "./slack/definition.ts";
export { SLACK_SINK, type SlackSettings } from "./slack/settings.ts";
export { makeSlackSink } from "./slack/sink.ts";
