import { ChangeMessageVisibilityBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RecordOutcome } from "@offboard/core";

/**
 * Records to be retried after a vendor's Retry-After come back after exactly that long, not after the
 * queue's whole visibility timeout: their visibility is set to the wait (SQS ChangeMessageVisibility),
 * on Lambda and in the self-hosted worker alike. Best effort: if SQS refuses, the record simply comes
 * back after the usual visibility timeout.
 */

/** SQS's longest visibility timeout, in seconds (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

/** The wait a retried record asked for: the longest Retry-After among its sinks (ms), when any said one. */
export const retryAfterOf = (outcome: RecordOutcome): number | undefined => {
  let wait: number | undefined;
  for (const e of outcome.events) {
    for (const s of e.sinks) {
      if (s.retryAfterMs !== undefined && (wait === undefined || s.retryAfterMs > wait)) wait = s.retryAfterMs;
    }
  }
  return wait;
};

/** Whole seconds SQS should keep the record hidden for a wait of `ms`: never sooner than asked. */
export const visibilitySeconds = (ms: number): number =>
  Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(ms / 1000)));

/** `arn:aws:sqs:eu-west-1:123456789012:q` → `https://sqs.eu-west-1.amazonaws.com/123456789012/q`. */
export const queueUrlFromArn = (arn: string): string | undefined => {
  const [, partition, service, region, account, name] = arn.split(":");
  if (service !== "sqs" || region === undefined || account === undefined || name === undefined) return undefined;
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sqs.${region}.${domain}/${account}/${name}`;
};

export interface VisibilityChange {
  readonly queueUrl: string;
  readonly receiptHandle: string;
  readonly seconds: number;
}

/** Applies the changes, ten per call and queue. Resolves with the number SQS accepted; never rejects. */
export const changeVisibility = async (sqs: SQSClient, changes: ReadonlyArray<VisibilityChange>): Promise<number> => {
  const byQueue = new Map<string, Array<VisibilityChange>>();
  for (const c of changes) byQueue.set(c.queueUrl, [...(byQueue.get(c.queueUrl) ?? []), c]);
  let accepted = 0;
  for (const [queueUrl, list] of byQueue) {
    for (let i = 0; i < list.length; i += 10) {
      const chunk = list.slice(i, i + 10);
      try {
        const out = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((c, j) => ({
              Id: String(j),
              ReceiptHandle: c.receiptHandle,
              VisibilityTimeout: c.seconds,
            })),
          }),
        );
        accepted += out.Successful?.length ?? 0;
      } catch {
        // The records come back after the queue's visibility timeout instead.
      }
    }
  }
  return accepted;
};
