/** Factories for the worker's tests: Okta events, EventBridge envelopes, SQS records, test layers. */
import { Logger } from "@aws-lambda-powertools/logger";
import {
  DeliveryLedger,
  EVENT_CATALOGUE,
  HrisDirectory,
  LedgerError,
  type LifecycleKind,
  type MemorySink,
  makeInMemoryLedger,
  memorySink,
  PipelineConfig,
  type PipelineSettings,
  sinksLayer,
} from "@offboard/core";
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

/** kind → Okta eventType, from core's catalogue (the one source of truth). */
export const LIFECYCLE_TYPES = Object.fromEntries(EVENT_CATALOGUE.map((e) => [e.kind, e.eventType])) as Readonly<
  Record<LifecycleKind, string>
>;

export interface EventSpec {
  readonly uuid?: string;
  readonly eventType?: string;
  readonly published?: string;
  readonly userId?: string;
  readonly login?: string;
  readonly target?: ReadonlyArray<unknown>;
  readonly outcome?: string;
}

/** An Okta System Log LogEvent (a deactivation of a fresh user, unless told otherwise). */
export const oktaEvent = (spec: EventSpec = {}) => {
  const n = next();
  const userId = spec.userId ?? `00u${String(n).padStart(17, "0")}`;
  return {
    uuid: spec.uuid ?? `7c1a2b3d-${String(n).padStart(4, "0")}-11ef-8f00-${String(n).padStart(12, "0")}`,
    published: spec.published ?? new Date(Date.parse("2026-11-03T09:00:00.000Z") + n * 1000).toISOString(),
    eventType: spec.eventType ?? LIFECYCLE_TYPES.deactivated,
    version: "0",
    severity: "INFO",
    displayMessage: "Lifecycle change",
    actor: { id: "00uadmin000000000001", type: "User", alternateId: "it.admin@example.com", displayName: "IT Admin" },
    client: {
      userAgent: { rawUserAgent: "Mozilla/5.0", os: "Mac OS X", browser: "CHROME" },
      ipAddress: "198.51.100.7",
      geographicalContext: { city: "Berlin", state: "Berlin", country: "Germany" },
    },
    outcome: { result: spec.outcome ?? "SUCCESS", reason: null },
    target: spec.target ?? [
      { id: userId, type: "User", alternateId: spec.login ?? `user${n}@example.com`, displayName: `User ${n}` },
    ],
    transaction: { type: "WEB", id: `tx-${n}` },
  };
};

export const PARTNER_SOURCE = "aws.partner/okta.com/acme/offboard";

/** The EventBridge envelope Okta Log Streaming delivers (what the SQS target receives as its body). */
export const envelope = (detail: unknown, overrides: Record<string, unknown> = {}) => ({
  version: "0",
  id: `eb-${next()}`,
  "detail-type": "SystemLog",
  source: PARTNER_SOURCE,
  account: "123456789012",
  time: "2026-11-03T09:00:13Z",
  region: "us-east-1",
  resources: [],
  detail,
  ...overrides,
});

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
