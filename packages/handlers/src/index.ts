/**
 * @offboard/handlers: the Lambda entry points and the self-hosted worker. The Lambda modules themselves
 * (`sqs-worker.ts`, …) are bundled by the CDK stack and are not re-exported here: importing them builds
 * a runtime from the environment.
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

// ── Okta log-stream custom resource (owned by the infra work; exported here on request) ──

// ── Okta Event Hook receiver and offboard's own envelopes (the Lambda module is event-hook/handler.ts) ──
export * from "./event-hook/envelope.ts";
export * from "./event-hook/receiver.ts";
