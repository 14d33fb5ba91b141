/**
 * @offboard/core/testing: test doubles that behave like real sinks: they record what they were given
 * and can be told to fail. For tests, benchmarks and dry runs.
 *
 * @example
 * ```ts
 * import { memorySink } from "@offboard/core/testing";
 *
 * const slack = memorySink("slack");
 * slack.failNext(1, "transient"); // the next attempt fails, the one after succeeds
 * // … run the pipeline with sinksLayer([slack]) …
 * expect(slack.delivered).toHaveLength(1);
 * ```
 *
 * @packageDocumentation
 */
import { Effect } from "effect";
import type { OffboardingEvent } from "./domain/event.ts";
import { SinkError } from "./errors.ts";
import type { DeliveryContext, Receipt, Sink } from "./ports/sink.ts";

/** One delivery a {@link MemorySink} received. */
export interface RecordedDelivery {
  readonly event: OffboardingEvent;
  readonly context: DeliveryContext;
}

/** A sink that keeps what it was given, and can be told to fail. */
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
