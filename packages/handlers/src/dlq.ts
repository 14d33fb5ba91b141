import { type MessageAttributeValue, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Context, Effect, Layer } from "effect";
import { DeadLetterError } from "./errors.ts";
import type { QueueMessage } from "./message.ts";

/** Why a record is dead-lettered: the core's reject code and its human message. */
export interface DeadLetterReason {
  /** The reject code (not-json, not-okta, untrusted-source, invalid-event, no-user-target, sink-permanent). */
  readonly code: string;
  /** Every problem, human readable (no secrets: adapters never put one in a message). */
  readonly detail: string;
}

/** The message attribute names a dead-lettered message carries. */
export const DLQ_ATTRIBUTES = {
  reason: "offboard.reason",
  detail: "offboard.detail",
  originalMessageId: "offboard.originalMessageId",
  receiveCount: "offboard.receiveCount",
} as const;

/** The longest `offboard.detail` value, in bytes (UTF-8). */
export const MAX_DETAIL_BYTES = 1024;

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character; marks the cut with "…". */
export const truncateUtf8 = (s: string, maxBytes: number): string => {
  if (Buffer.byteLength(s, "utf8") <= maxBytes) return s;
  let out = "";
  let bytes = 0;
  const budget = maxBytes - Buffer.byteLength("…", "utf8");
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
};

/** The SendMessage attributes for a dead-lettered message. */
export const deadLetterAttributes = (
  message: QueueMessage,
  reason: DeadLetterReason,
): Record<string, MessageAttributeValue> => {
  const str = (v: string): MessageAttributeValue => ({ DataType: "String", StringValue: v.length > 0 ? v : "-" });
  return {
    [DLQ_ATTRIBUTES.reason]: str(reason.code),
    [DLQ_ATTRIBUTES.detail]: str(truncateUtf8(reason.detail, MAX_DETAIL_BYTES)),
    [DLQ_ATTRIBUTES.originalMessageId]: str(message.messageId),
    ...(message.receiveCount !== undefined && {
      [DLQ_ATTRIBUTES.receiveCount]: { DataType: "Number", StringValue: String(message.receiveCount) },
    }),
  };
};

/**
 * Where rejected records go. The body is sent unchanged, so a redrive replays exactly what arrived;
 * the reason travels in message attributes.
 */
export class DeadLetterQueue extends Context.Service<
  DeadLetterQueue,
  {
    /** The queue URL, or undefined when none is configured (rejected records are then left to SQS's redrive). */
    readonly url: string | undefined;
    readonly send: (message: QueueMessage, reason: DeadLetterReason) => Effect.Effect<void, DeadLetterError>;
  }
>()("offboard/DeadLetterQueue") {
  /** Sends to the SQS queue at `url` (OFFBOARD_DLQ_URL or --dlq-url). */
  static readonly layer = (options: { readonly url: string | undefined; readonly client?: SQSClient }) =>
    Layer.effect(
      DeadLetterQueue,
      Effect.gen(function* () {
        const { url } = options;
        if (url === undefined || url.length === 0) return DeadLetterQueue.of(unconfigured);
        // A client this layer built is closed with it.
        const client =
          options.client ??
          (yield* Effect.acquireRelease(
            Effect.sync(() => new SQSClient({})),
            (c) => Effect.sync(() => c.destroy()),
          ));
        return DeadLetterQueue.of({
          url,
          send: (message, reason) =>
            Effect.tryPromise({
              try: (abortSignal) =>
                client.send(
                  new SendMessageCommand({
                    QueueUrl: url,
                    MessageBody: message.body.length > 0 ? message.body : " ",
                    MessageAttributes: deadLetterAttributes(message, reason),
                  }),
                  { abortSignal },
                ),
              catch: (cause) =>
                new DeadLetterError({
                  message: `could not send message ${message.messageId} to the DLQ: ${
                    cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
                  }`,
                  cause,
                }),
            }).pipe(Effect.asVoid, Effect.withSpan("DeadLetterQueue.send")),
        });
      }),
    );

  /** No DLQ configured: every send fails, so the record is reported as failed and SQS's redrive keeps it. */
  static readonly none = Layer.sync(DeadLetterQueue, () => DeadLetterQueue.of(unconfigured));
}

const unconfigured: DeadLetterQueue["Service"] = {
  url: undefined,
  send: (message) =>
    Effect.fail(
      new DeadLetterError({
        message: `no DLQ configured (OFFBOARD_DLQ_URL): message ${message.messageId} is left for SQS to redeliver`,
      }),
    ),
};

/** A DLQ in memory, for tests: records what was sent; `failNext(n)` makes the next n sends fail. */
export const memoryDeadLetterQueue = () => {
  const sent: Array<{ message: QueueMessage; reason: DeadLetterReason }> = [];
  let failures = 0;
  const service = DeadLetterQueue.of({
    url: "memory://dlq",
    send: (message, reason) =>
      Effect.suspend(() => {
        if (failures > 0) {
          failures -= 1;
          return Effect.fail(new DeadLetterError({ message: "DLQ send failed on purpose" }));
        }
        sent.push({ message, reason });
        return Effect.void;
      }),
  });
  return {
    sent,
    failNext: (n: number) => {
      failures = n;
    },
    layer: Layer.succeed(DeadLetterQueue, service),
  };
};
