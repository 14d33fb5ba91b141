import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { WorkerError } from "./errors.ts";
import { makeSqsHandler, type SqsHandler } from "./lambda.ts";
import {
  type LiveLayerOptions,
  liveLayer,
  makeWorkerRuntime,
  refreshIntervalMs,
  type WorkerRuntime,
} from "./runtime.ts";
import { makeTelemetry } from "./telemetry.ts";

/**
 * The self-hosted worker: long-polls an SQS queue and runs the Lambda handler on each batch with
 * Lambda's semantics: batches of up to 10, successes deleted, failures left to reappear after the
 * queue's visibility timeout (and to move to the DLQ after its maxReceiveCount). On abort (SIGTERM,
 * SIGINT) it stops polling and finishes the batch in hand.
 */

export interface WorkerOptions {
  readonly queueUrl: string;
  /** Where rejected records go (overrides OFFBOARD_DLQ_URL). */
  readonly dlqUrl?: string;
  /** Aborting stops the worker after the batches in hand. */
  readonly signal?: AbortSignal;
  /** The SQS client (default: the SDK's standard chain, AWS_ENDPOINT_URL included). */
  readonly sqs?: SQSClient;
  /** The environment the configuration is read from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A ready runtime (tests); otherwise the live one is built from the configuration. */
  readonly runtime?: WorkerRuntime;
  /** Passed to the live layer when no runtime is given (extra sinks for tests and previews). */
  readonly layerOptions?: Omit<LiveLayerOptions, "env" | "dlqUrl" | "sqs">;
  /** How many batches are polled and processed at once (default 1). */
  readonly pollers?: number;
  /** Long-poll wait, 0-20 s (default 20). */
  readonly waitTimeSeconds?: number;
  /** Messages per batch, 1-10 (default 10, Lambda's default batch size). */
  readonly batchSize?: number;
  /** Visibility timeout for received messages, in seconds (default: the queue's own). */
  readonly visibilityTimeoutSeconds?: number;
  /** Told after each batch (for progress output and tests). */
  readonly onBatch?: (report: BatchReport) => void;
  /** Told when polling, a whole batch or deleting fails (the worker carries on; nothing is lost). */
  readonly onError?: (error: unknown) => void;
}

export interface BatchReport {
  readonly received: number;
  readonly deleted: number;
  /** Records left for redelivery (batch item failures, or a batch that failed as a whole). */
  readonly failed: number;
}

export interface WorkerStats {
  readonly batches: number;
  readonly received: number;
  readonly deleted: number;
  readonly failed: number;
}

const RECEIVE_ERROR_BACKOFF_MS = [200, 500, 1_000, 2_000, 5_000] as const;

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** `https://sqs.us-east-1.amazonaws.com/123456789012/q` → `arn:aws:sqs:us-east-1:123456789012:q` (best effort). */
export const queueArnFromUrl = (queueUrl: string, region: string): string => {
  try {
    const parts = new URL(queueUrl).pathname.split("/").filter((p) => p.length > 0);
    const [account, name] = parts.length >= 2 ? [parts[0], parts[1]] : ["000000000000", parts[0] ?? "queue"];
    return `arn:aws:sqs:${region}:${account}:${name}`;
  } catch {
    return `arn:aws:sqs:${region}:000000000000:queue`;
  }
};

/** An SDK message as the record Lambda's SQS event source would hand over. */
export const toLambdaRecord = (message: Message, eventSourceARN: string, awsRegion: string): SQSRecord => ({
  messageId: message.MessageId ?? "",
  receiptHandle: message.ReceiptHandle ?? "",
  body: message.Body ?? "",
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? "1",
    SentTimestamp: message.Attributes?.SentTimestamp ?? "0",
    SenderId: message.Attributes?.SenderId ?? "",
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? "0",
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN,
  awsRegion,
});

/** Lambda's longest timeout: a batch that takes longer fails as a whole (and is redelivered), as on Lambda. */
export const BATCH_DEADLINE_MS = 900_000;

/** A Lambda context for a handler run outside Lambda, with Lambda's longest deadline. */
const workerContext = (queueUrl: string): Context => {
  const deadline = Date.now() + BATCH_DEADLINE_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "offboard-worker",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:offboard-worker",
    memoryLimitInMB: "0",
    awsRequestId: `worker-${Date.now().toString(36)}`,
    logGroupName: "offboard-worker",
    logStreamName: queueUrl,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/**
 * While a batch is in hand, keeps its messages invisible (every half visibility timeout), so a slow
 * batch is never handed to a second worker meanwhile. Lambda needs no such thing (its queue's
 * visibility timeout exceeds the function timeout); a worker has no timeout, so it holds on instead.
 * Returns the function that stops the heartbeat.
 */
const holdMessages = (
  sqs: SQSClient,
  queueUrl: string,
  messages: ReadonlyArray<Message>,
  visibilitySeconds: number,
) => {
  if (visibilitySeconds <= 0) return () => undefined;
  const timer = setInterval(
    () => {
      sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle ?? "",
              VisibilityTimeout: visibilitySeconds,
            })),
          }),
        )
        .catch(() => undefined);
    },
    Math.max(250, (visibilitySeconds * 1000) / 2),
  );
  return () => clearInterval(timer);
};

/**
 * Processes one received batch with the handler and deletes what settled. Failed records are left
 * alone: they reappear once the visibility timeout (renewed while the batch ran) has passed.
 */
export const processMessages = async (
  handler: SqsHandler,
  sqs: SQSClient,
  queueUrl: string,
  messages: ReadonlyArray<Message>,
  region: string,
  visibilitySeconds = 0,
): Promise<BatchReport & { readonly error?: unknown }> => {
  const arn = queueArnFromUrl(queueUrl, region);
  const event: SQSEvent = { Records: messages.map((m) => toLambdaRecord(m, arn, region)) };
  let response: SQSBatchResponse;
  const release = holdMessages(sqs, queueUrl, messages, visibilitySeconds);
  try {
    response = await handler(event, workerContext(queueUrl));
  } catch (error) {
    // The whole invocation failed: Lambda would redeliver every record, and so do we.
    return { received: messages.length, deleted: 0, failed: messages.length, error };
  } finally {
    release();
  }
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const settled = event.Records.map((r, i) => ({ r, i })).filter(({ r }) => !failed.has(r.messageId));
  if (settled.length === 0) return { received: messages.length, deleted: 0, failed: failed.size };
  try {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: settled.map(({ r, i }) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
    const notDeleted = out.Failed?.length ?? 0;
    return {
      received: messages.length,
      deleted: settled.length - notDeleted,
      failed: failed.size,
      ...(notDeleted > 0 && { error: new Error(`${notDeleted} settled message(s) could not be deleted`) }),
    };
  } catch (error) {
    // They reappear after the visibility timeout; the ledger makes the second run a no-op.
    return { received: messages.length, deleted: 0, failed: failed.size, error };
  }
};

/** The queue's visibility timeout in seconds (30, SQS's default, when it cannot be read). */
const queueVisibility = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
    );
    const n = Number(out.Attributes?.VisibilityTimeout);
    return Number.isFinite(n) ? n : 30;
  } catch {
    return 30;
  }
};

/**
 * Runs the worker until `signal` aborts. Resolves with what it did. Throws a WorkerError when it cannot
 * start (no AWS region); every later problem is reported through `onError` and retried.
 */
export const runWorker = async (options: WorkerOptions): Promise<WorkerStats> => {
  const env = options.env ?? process.env;
  const sqs = options.sqs ?? new SQSClient({});
  const region = await sqs.config.region().catch((cause: unknown) => {
    throw new WorkerError({
      message: "no AWS region: set AWS_REGION (or a profile with a region) for the queue's region",
      cause,
    });
  });
  const visibilitySeconds = options.visibilityTimeoutSeconds ?? (await queueVisibility(sqs, options.queueUrl));
  const ownRuntime = options.runtime === undefined;
  let runtime = options.runtime;
  if (runtime === undefined) {
    const telemetry = options.layerOptions?.telemetry ?? makeTelemetry();
    const refreshMs = refreshIntervalMs(env);
    runtime = makeWorkerRuntime(
      () =>
        liveLayer({
          ...options.layerOptions,
          env,
          telemetry,
          sqs,
          ...(options.dlqUrl !== undefined && { dlqUrl: options.dlqUrl }),
        }),
      {
        ...(refreshMs !== undefined && { refreshMs }),
        onRefreshFailed: (error) =>
          telemetry.logger.warn("configuration refresh failed; keeping the previous configuration", {
            error: error instanceof Error ? error.message : String(error),
          }),
      },
    );
  }
  const handler = makeSqsHandler(runtime, { sqs, queueUrlOf: () => options.queueUrl });
  const stats = { batches: 0, received: 0, deleted: 0, failed: 0 };
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 20));
  const { signal } = options;
  const stopped = () => signal?.aborted === true;

  const poll = async () => {
    let errors = 0;
    while (!stopped()) {
      let messages: ReadonlyArray<Message>;
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: [
              "ApproximateReceiveCount",
              "SentTimestamp",
              "ApproximateFirstReceiveTimestamp",
            ],
            ...(options.visibilityTimeoutSeconds !== undefined && {
              VisibilityTimeout: options.visibilityTimeoutSeconds,
            }),
          }),
          signal !== undefined ? { abortSignal: signal } : {},
        );
        messages = out.Messages ?? [];
        errors = 0;
      } catch (error) {
        if (stopped()) break;
        options.onError?.(error);
        const wait = RECEIVE_ERROR_BACKOFF_MS[Math.min(errors, RECEIVE_ERROR_BACKOFF_MS.length - 1)] ?? 5_000;
        errors += 1;
        await sleep(wait, signal);
        continue;
      }
      if (messages.length === 0) continue;
      // The batch in hand is finished even when a shutdown signal arrives meanwhile.
      const report = await processMessages(handler, sqs, options.queueUrl, messages, region, visibilitySeconds);
      if (report.error !== undefined) options.onError?.(report.error);
      stats.batches += 1;
      stats.received += report.received;
      stats.deleted += report.deleted;
      stats.failed += report.failed;
      options.onBatch?.({ received: report.received, deleted: report.deleted, failed: report.failed });
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.pollers ?? 1) }, poll));
  } finally {
    if (ownRuntime) await runtime.dispose();
    if (options.sqs === undefined) sqs.destroy();
  }
  return stats;
};
