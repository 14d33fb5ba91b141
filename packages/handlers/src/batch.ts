import {
  completionRetry,
  DeliveryLedger,
  type InputRecord,
  PipelineConfig,
  processBatch,
  settleAfterReceives,
} from "@offboard/core";
import { Effect } from "effect";
import type { Disposition } from "./disposition.ts";
import { DeadLetterQueue, type DeadLetterReason } from "./dlq.ts";
import { DeadLetterError } from "./errors.ts";
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
  const dispositions = yield* Effect.forEach(
    messages,
    (message, i): Effect.Effect<Disposition, never, DeadLetterQueue | DeliveryLedger | PipelineConfig | Telemetry> => {
      // A record held back only by a sink that is not configured is dead-lettered after a few receives.
      const outcome = settleAfterReceives(outcomes[i]!, message.receiveCount);
      const { messageId } = message;
      switch (outcome.status) {
        case "delivered":
        case "ignored":
          return Effect.succeed({ messageId, action: "ack", outcome });
        case "retry-later":
          return Effect.succeed({ messageId, action: "retry", outcome });
        case "rejected":
          return deadLetterOnce(message, {
            code: outcome.reasonCode ?? "not-okta",
            detail: outcome.reason ?? "rejected",
          }).pipe(
            Effect.map((): Disposition => ({ messageId, action: "dead-lettered", outcome })),
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

/**
 * Sends a rejected message to the DLQ at most once per SQS message id, through the same ledger as the
 * sinks (event `sqs:<messageId>`, sink `dlq`): a message that reappears because its delete failed or its
 * visibility ran out is acknowledged, not dead-lettered twice. A message redriven from the DLQ arrives
 * with a new id, so it is judged (and, if still poison, dead-lettered) again: never dropped.
 */
const deadLetterOnce = Effect.fnUntraced(function* (message: QueueMessage, reason: DeadLetterReason) {
  const dlq = yield* DeadLetterQueue;
  const ledger = yield* DeliveryLedger;
  const { leaseMs } = yield* PipelineConfig;
  const key = `sqs:${message.messageId}`;
  const claim = yield* ledger.claim(key, "dlq", leaseMs).pipe(
    Effect.mapError(
      (e) =>
        new DeadLetterError({
          message: `ledger unavailable, ${message.messageId} not dead-lettered: ${e.message}`,
          cause: e,
        }),
    ),
  );
  if (claim._tag === "Completed") return;
  if (claim._tag === "Busy") {
    return yield* new DeadLetterError({ message: `another worker is dead-lettering ${message.messageId}` });
  }
  yield* dlq.send(message, reason).pipe(Effect.tapError(() => Effect.ignore(ledger.release(key, "dlq", claim.token))));
  // Sent: retry the bookkeeping as the sinks do. If it still fails the message is in the DLQ all the same;
  // a redelivery of the source message would then dead-letter it a second time, so say so.
  const done = yield* Effect.result(
    ledger
      .complete(key, "dlq", claim.token, { sink: "dlq", ref: message.messageId })
      .pipe(Effect.retry(completionRetry)),
  );
  if (done._tag === "Failure") {
    const telemetry = yield* Telemetry;
    telemetry.logger.warn("dead-lettered, but the ledger was not updated (a redelivery may dead-letter it again)", {
      messageId: message.messageId,
      error: done.failure.message,
    });
  }
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
