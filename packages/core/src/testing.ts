import { Effect, Layer } from "effect";
import type { OffboardingEvent } from "./domain/event.ts";
import { SinkError } from "./errors.ts";
import { type DeliveryContext, type Receipt, type Sink, Sinks, sinksOf } from "./ports/sink.ts";

/**
 * Test doubles that behave like real sinks: they record what they were given and can be told to
 * fail. For tests, benchmarks and dry runs; exported so adapters and handlers share them.
 */
export interface RecordedDelivery {
  readonly event: OffboardingEvent;
  readonly context: DeliveryContext;
}

export interface MemorySink extends Sink {
  readonly delivered: ReadonlyArray<RecordedDelivery>;
  /** Fail the next `n` attempts with this failure class. */
  readonly failNext: (n: number, failure?: "transient" | "permanent") => void;
}

/** A sink that remembers every delivery in memory. */
export const memorySink = (name: string): MemorySink => {
  const delivered: Array<RecordedDelivery> = [];
  let failures = 0;
  let failure: "transient" | "permanent" = "transient";
  return {
    name,
    delivered,
    failNext: (n, f = "transient") => {
      failures = n;
      failure = f;
    },
    deliver: (event, context) =>
      Effect.suspend(() => {
        if (failures > 0) {
          failures -= 1;
          return Effect.fail(
            new SinkError({ sink: name, failure, message: `${name} failed on purpose (${failure})`, code: "test" }),
          );
        }
        delivered.push({ event, context });
        const receipt: Receipt = { sink: name, ref: `${name}-${delivered.length}` };
        return Effect.succeed(receipt);
      }),
  };
};

/** A sink that does nothing but hand back a receipt: for benchmarks. */
export const noopSink = (name: string): Sink => ({
  name,
  deliver: (event) => Effect.succeed({ sink: name, ref: event.id }),
});

/** The Sinks service over the given sinks. */
export const sinksLayer = (sinks: ReadonlyArray<Sink>): Layer.Layer<Sinks> => Layer.succeed(Sinks, sinksOf(sinks));
