/**
 * @offboard/handlers: the SQS worker's building blocks (the Lambda handler factory, batch handling, the
 * DLQ, telemetry, the worker runtime) and the self-hosted worker loop. The Lambda modules themselves
 * (`sqs-worker.ts` and `log-stream/handler.ts`, the Okta log-stream custom resource) are bundled by the
 * CDK stack from their files and are not re-exported here: importing `sqs-worker.ts` builds a runtime
 * from the environment.
 *
 * This list is the public API; helpers stay in their modules.
 *
 * @example
 * ```ts
 * import { lambdaRuntime, makeSqsHandler } from "@offboard/handlers";
 *
 * // Live adapters from the environment, built once per cold start; one handler per Lambda module.
 * export const handler = makeSqsHandler(lambdaRuntime());
 * ```
 *
 * @packageDocumentation
 */
export { handleBatch, RecordNotSettled } from "./batch.ts";
export type { Disposition } from "./disposition.ts";
export { DeadLetterQueue, type DeadLetterReason, DLQ_ATTRIBUTES, memoryDeadLetterQueue } from "./dlq.ts";
export { DeadLetterError, WorkerError } from "./errors.ts";
// Okta Event Hook receiver and offboard's own envelopes. The Lambda modules (event-hook/handler.ts,
// event-hook/hook-resource.ts, poller/handler.ts) are bundled by the CDK stack from their files.
export {
  type Enqueue,
  EVENT_HOOK_SOURCE,
  type OffboardSource,
  type OktaEnvelope,
  POLLER_SOURCE,
  sqsEnqueue,
  sqsEnqueueTo,
  toEnvelope,
} from "./event-hook/envelope.ts";
export {
  EVENT_HOOK_EVENT_TYPE,
  type EventHookReceiverOptions,
  type HookRequest,
  type HookResponse,
  makeEventHookReceiver,
  secretMatches,
} from "./event-hook/receiver.ts";
export { makeSqsHandler, type SqsHandler } from "./lambda.ts";
export { fromLambdaRecord, fromSdkMessage, type QueueMessage } from "./message.ts";
export {
  type LiveLayerOptions,
  lambdaRuntime,
  liveLayer,
  makeWorkerRuntime,
  type WorkerRuntime,
  type WorkerRuntimeOptions,
  type WorkerServices,
} from "./runtime.ts";
export { METRICS, makeTelemetry, Telemetry, type TelemetryOptions } from "./telemetry.ts";
export {
  type BatchReport,
  processMessages,
  runWorker,
  type WorkerOptions,
  type WorkerStats,
} from "./worker.ts";
