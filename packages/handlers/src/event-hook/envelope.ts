/**
 * How offboard's own sources (the Event Hook receiver and the System Log poller) hand Okta events to the
 * worker: one SQS message per event, an EventBridge-shaped envelope like Okta Log Streaming's, with
 * offboard's own `source`. The worker trusts exactly the Okta partner sources and these two; the ledger
 * dedupes by the event's Okta `uuid`, so the same event from two sources is delivered once.
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { OFFBOARD_EVENT_HOOK_SOURCE, OFFBOARD_POLLER_SOURCE } from "@offboard/core";

/** The `source` of envelopes the Event Hook receiver enqueues. */
export const EVENT_HOOK_SOURCE = OFFBOARD_EVENT_HOOK_SOURCE;
/** The `source` of envelopes the System Log poller enqueues. */
export const POLLER_SOURCE = OFFBOARD_POLLER_SOURCE;

export type OffboardSource = typeof EVENT_HOOK_SOURCE | typeof POLLER_SOURCE;

export interface OktaEnvelope {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": "SystemLog";
  readonly source: OffboardSource;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: ReadonlyArray<string>;
  readonly detail: unknown;
}

const uuidOf = (event: unknown): string | undefined => {
  const u = typeof event === "object" && event !== null ? (event as { uuid?: unknown }).uuid : undefined;
  return typeof u === "string" && u.length > 0 ? u.slice(0, 100) : undefined;
};

/**
 * The envelope of one Okta LogEvent. `id` is derived from the source and the event's uuid, so a retried
 * delivery of the same event produces the same envelope.
 */
export const toEnvelope = (
  event: unknown,
  source: OffboardSource,
  where: { readonly account?: string | undefined; readonly region?: string | undefined; readonly now?: Date },
  fallbackId: string,
): OktaEnvelope => ({
  version: "0",
  id: `${source}:${uuidOf(event) ?? fallbackId}`,
  "detail-type": "SystemLog",
  source,
  account: where.account ?? "",
  time: (where.now ?? new Date()).toISOString(),
  region: where.region ?? "",
  resources: [],
  detail: event,
});

/** Sends envelopes to a queue. Rejects (and sends nothing more) when any message could not be enqueued. */
export type Enqueue = (envelopes: ReadonlyArray<OktaEnvelope>, signal?: AbortSignal) => Promise<void>;

/** The most SQS accepts in one SendMessageBatch (and 256 KiB in total). */
const SQS_BATCH = 10;
const SQS_BATCH_BYTES = 250_000;

/** An `Enqueue` over SQS SendMessageBatch (10 messages or 250 KB per call); partial failures are errors. */
export const sqsEnqueue =
  (client: SQSClient, queueUrl: string): Enqueue =>
  async (envelopes, signal) => {
    let batch: Array<{ Id: string; MessageBody: string }> = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const res = await client.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }),
        signal !== undefined ? { abortSignal: signal } : {},
      );
      if ((res.Failed ?? []).length > 0) {
        const f = res.Failed?.[0];
        throw new Error(`SQS refused ${res.Failed?.length} of ${batch.length} messages (${f?.Code ?? "unknown"})`);
      }
      batch = [];
      bytes = 0;
    };
    for (const [i, envelope] of envelopes.entries()) {
      const body = JSON.stringify(envelope);
      if (batch.length === SQS_BATCH || bytes + Buffer.byteLength(body) > SQS_BATCH_BYTES) await flush();
      batch.push({ Id: String(i), MessageBody: body });
      bytes += Buffer.byteLength(body);
    }
    await flush();
  };

/** An `Enqueue` to a queue URL with a client from the SDK's standard chain (region, credentials, endpoint). */
export const sqsEnqueueTo = (queueUrl: string): Enqueue => sqsEnqueue(new SQSClient({}), queueUrl);
