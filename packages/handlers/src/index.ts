/**
 * @offboard/handlers: the SQS worker's building blocks (Lambda handler factory, batch handling, DLQ,
 * telemetry) and the self-hosted worker. The Lambda modules themselves (`sqs-worker.ts` and
 * `log-stream/handler.ts`, the Okta log-stream custom resource) are bundled by the CDK stack from their
 * files and are not re-exported here: importing `sqs-worker.ts` builds a runtime from the environment.
 */

// ── SQS worker (Lambda handler factory, batch handling, DLQ, telemetry, self-hosted worker) ──
export * from "./batch.ts";
export * from "./disposition.ts";
export * from "./dlq.ts";
export * from "./errors.ts";
export * from "./lambda.ts";
export * from "./message.ts";
export * from "./runtime.ts";
export * from "./telemetry.ts";
export * from "./worker.ts";
