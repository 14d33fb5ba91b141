/**
 * docs/library.md, style 2: the effect API. The same pipeline as a program over ports (Sinks, DeliveryLedger,
 * HrisDirectory, PipelineConfig), each provided by a layer: swap the in-memory ones for the adapters'.
 * Typechecked by `npm test` (`tsc -b` over docs/snippets).
 */
import {
  DeliveryLedger,
  HrisDirectory,
  type OffboardingEvent,
  PipelineConfig,
  parsePolicy,
  processBatch,
  type Receipt,
  type Sink,
  SinkError,
  sinksLayer,
} from "@offboard/core";
import { Effect, Layer, Result } from "effect";

declare const body: string;

// A sink in effect style: a typed, classified failure instead of a thrown error (docs/adding-a-sink.md).
const audit: Sink = {
  name: "audit",
  deliver: Effect.fn("AuditSink.deliver")(function* (event: OffboardingEvent) {
    if (event.subject.login === undefined) {
      return yield* new SinkError({ sink: "audit", failure: "permanent", message: "audit: user has no login" });
    }
    return { sink: "audit", ref: `${event.kind}:${event.subject.login}` } satisfies Receipt;
  }),
};

const policy = parsePolicy({ routes: { deactivated: ["audit"], suspended: ["audit"] } });
if (Result.isFailure(policy)) throw policy.failure; // a PolicyError naming the bad key

// The ports. In production: the adapters' DynamoDB or SQLite ledger, BambooHR, Slack and Jira sinks.
const ports = Layer.mergeAll(
  PipelineConfig.layer({ policy: policy.success, concurrency: 4 }),
  DeliveryLedger.inMemory(),
  HrisDirectory.none,
  sinksLayer([audit]),
);

const program = Effect.gen(function* () {
  const outcomes = yield* processBatch([{ id: "msg-1", body }]);
  for (const o of outcomes) yield* Effect.log(`${o.recordId}: ${o.status}`);
  return outcomes;
});

const outcomes = await Effect.runPromise(Effect.provide(program, ports));
console.log(outcomes.map((o) => o.status));
