/**
 * @offboard/infra: AWS CDK constructs and the app for offboard.
 */
export {
  CONTEXT_KEYS,
  ConfigError,
  configFromContext,
  EXAMPLE_CONFIG,
  type OffboardConfig,
  validateConfig,
} from "./config.ts";
export { DEFAULTS } from "./defaults.ts";
export {
  bundleOptions,
  ESBUILD_VERSION,
  ESM_REQUIRE_SHIM,
  EXTERNAL_MODULES,
  HANDLER_ENTRIES,
  installedEsbuildVersion,
  OffboardFunction,
  type OffboardFunctionProps,
  REPO_ROOT,
} from "./lambda.ts";
export { applyNagAcknowledgements, enableNagChecks } from "./nag-suppressions.ts";
export { OffboardingAlarms, type OffboardingAlarmsProps } from "./offboarding-alarms.ts";
export { OffboardingStack, type OffboardingStackProps } from "./offboarding-stack.ts";
export {
  OffboardingWorker,
  type OffboardingWorkerProps,
  WORKER_ACTIONS,
  type WorkerSettings,
} from "./offboarding-worker.ts";
export {
  EVENT_HOOK_ENTRIES,
  OktaEventHookReceiver,
  type OktaEventHookReceiverProps,
} from "./okta-event-hook.ts";
export {
  OktaEventIngest,
  type OktaEventIngestProps,
  type QueueEncryption,
  toCdkEventPattern,
} from "./okta-event-ingest.ts";
export {
  OktaLogStream,
  type OktaLogStreamProps,
  oktaOrgNameFromUrl,
  partnerEventSourceName,
  validateOktaOrgUrl,
} from "./okta-log-stream.ts";
export { OktaSystemLogPoller, type OktaSystemLogPollerProps, POLLER_DEFAULTS, POLLER_ENTRY } from "./okta-poller.ts";
