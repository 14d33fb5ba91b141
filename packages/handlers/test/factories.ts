/** Factories for the worker's tests: SQS records and test layers (Okta events come from @offboard/testkit). */
import { Logger } from "@aws-lambda-powertools/logger";
import {
  DeliveryLedger,
  HrisDirectory,
  LedgerError,
  makeInMemoryLedger,
  PipelineConfig,
  type PipelineSettings,
  sinksLayer,
} from "@offboard/core";
import { type MemorySink, memorySink } from "@offboard/core/testing";
import type { SQSRecord } from "aws-lambda";
import { Effect, Layer } from "effect";
import { memoryDeadLetterQueue } from "../src/dlq.ts";
import type { WorkerServices } from "../src/runtime.ts";
import { makeTelemetry, Telemetry } from "../src/telemetry.ts";

let seq = 0;
const next = () => {
  seq += 1;
  return seq;
};

/** A Lambda SQS event record carrying `body`. */
export const sqsRecord = (body: string, overrides: Partial<SQSRecord> = {}): SQSRecord => {
  const n = next();
  return {
    messageId: `msg-${n}`,
    receiptHandle: `rh-${n}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1762160413000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1762160413000",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:offboard-events",
    awsRegion: "us-east-1",
    ...overrides,
  };
};

/** Telemetry that writes nothing (POWERTOOLS_LOG_LEVEL / POWERTOOLS_METRICS_DISABLED are set by vitest.config.ts). */
export const quietTelemetry = () =>
  makeTelemetry({ logger: new Logger({ serviceName: "offboard", logLevel: "SILENT" }) });

export interface TestWorld {
  readonly slack: MemorySink;
  readonly jira: MemorySink;
  readonly dlq: ReturnType<typeof memoryDeadLetterQueue>;
  readonly telemetry: Telemetry["Service"];
  readonly layer: Layer.Layer<WorkerServices>;
}

/**
 * Memory sinks, one in-memory ledger (shared by every run; or `ledger`) and DLQ, quiet telemetry:
 * everything `handleBatch` needs.
 */
export const testWorld = (
  settings: Partial<PipelineSettings> = {},
  options: { readonly ledger?: DeliveryLedger["Service"] } = {},
): TestWorld => {
  const slack = memorySink("slack");
  const jira = memorySink("jira");
  const dlq = memoryDeadLetterQueue();
  const telemetry = quietTelemetry();
  const layer = Layer.mergeAll(
    sinksLayer([slack, jira]),
    Layer.succeed(DeliveryLedger, options.ledger ?? makeInMemoryLedger()),
    HrisDirectory.none,
    PipelineConfig.layer(settings),
    dlq.layer,
    Layer.succeed(Telemetry, telemetry),
  );
  return { slack, jira, dlq, telemetry, layer };
};

/** An in-memory ledger whose `complete` fails the next `n` times (a throttled table), then works. */
export const ledgerFailingComplete = (n: number): DeliveryLedger["Service"] => {
  const ledger = makeInMemoryLedger();
  let failures = n;
  return {
    ...ledger,
    complete: (...args) =>
      Effect.suspend(() => {
        if (failures <= 0) return ledger.complete(...args);
        failures -= 1;
        return Effect.fail(new LedgerError({ message: "throttled on purpose" }));
      }),
  };
};
