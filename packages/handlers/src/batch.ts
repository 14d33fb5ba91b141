import { type InputRecord, processBatch } from "@offboard/core";
import { Effect } from "effect";
import type { Disposition } from "./disposition.ts";
import { DeadLetterQueue } from "./dlq.ts";
import type { QueueMessage } from "./message.ts";
import { Telemetry } from "./telemetry.ts";

/**
 * One SQS batch through the core pipeline: decode and deliver every record, send rejected records to
 * the DLQ (with the reason) and report what to do with each record, in record order. The error
 * policy is the core's: this only acts on each record's status. Never fails.
 */
export const handleBatch = Effect.fn("handlers.handleBatch")(function* (messages: ReadonlyArray<QueueMessage>) {
  const inputs: ReadonlyArray<InputRecord> = messages.map((m) => ({ id: m.messageId, body: m.body }));
  const outcomes = yield* processBatch(inputs);
  const dlq = yield* DeadLetterQueue;
  const dispositions = yield* Effect.forEach(
    messages,
    (message, i): Effect.Effect<Disposition> => {
      const outcome = outcomes[i]!;
      const { messageId } = message;
      switch (outcome.status) {
        case "delivered":
        case "ignored":
          return Effect.succeed({ messageId, action: "ack", outcome });
        case "retry-later":
          return Effect.succeed({ messageId, action: "retry", outcome });
        case "rejected":
          return dlq
            .send(message, { code: outcome.reasonCode ?? "not-okta", detail: outcome.reason ?? "rejected" })
            .pipe(
              Effect.as<Disposition>({ messageId, action: "dead-lettered", outcome }),
              Effect.catchTag("DeadLetterError", (e) =>
                Effect.succeed<Disposition>({ messageId, action: "retry", outcome, deadLetterError: e.message }),
              ),
            );
      }
    },
    { concurrency: 10 },
  );
  const telemetry = yield* Telemetry;
  yield* telemetry.report(dispositions);
  return dispositions;
});

/** A record SQS should hand out again: the reason travels to middy's logger. */
export class RecordNotSettled extends Error {
  override readonly name = "RecordNotSettled";
}

/**
 * The dispositions as the settled results @middy/sqs-partial-batch-failure expects, in record order:
 * fulfilled for records to delete, rejected for batch item failures.
 */
export const toSettled = (dispositions: ReadonlyArray<Disposition>): Array<PromiseSettledResult<string>> =>
  dispositions.map((d) =>
    d.action === "retry"
      ? { status: "rejected", reason: new RecordNotSettled(d.deadLetterError ?? d.outcome.reason ?? d.outcome.status) }
      : { status: "fulfilled", value: d.action },
  );
