import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { handleBatch } from "./batch.ts";
import type { Disposition } from "./disposition.ts";
import { WorkerError } from "./errors.ts";
import { fromSdkMessage } from "./message.ts";
import {
  type LiveLayerOptions,
  liveLayer,
  makeWorkerRuntime,
  refreshIntervalMs,
  type WorkerRuntime,
} from "./runtime.ts";
import { makeTelemetry, type Telemetry } from "./telemetry.ts";

/**
 * The self-hosted worker: long-polls an SQS queue and runs each batch through the same batch handler
 * as the Lambda (`handleBatch`), with Lambda's semantics: batches of up to 10, successes deleted,
 * failures left to reappear after the queue's visibility timeout (and to move to the DLQ after its
 * maxReceiveCount). On abort (SIGTERM, SIGINT) it stops polling and finishes the batch in hand.
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
  /** Logs the worker's own problems (heartbeat, queue attributes); default: the runtime's telemetry or a new one. */
  readonly telemetry?: Telemetry["Service"];
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
  /**
   * Told when polling, a whole batch, deleting or keeping a batch invisible fails (the worker carries
   * on; nothing is lost).
   */
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

/** Lambda's longest timeout: a batch that takes longer fails as a whole (and is redelivered), as on Lambda. */
export const BATCH_DEADLINE_MS = 900_000;

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
  onError: (error: WorkerError) => void,
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
        .then(
          (out) => {
            const failed = out.Failed ?? [];
            if (failed.length === 0) return;
            onError(
              new WorkerError({
                message: `could not keep ${failed.length} of ${messages.length} message(s) invisible (${failed
                  .map((f) => f.Code ?? "?")
                  .join(", ")}): they may be handed to another worker while this one is still working on them`,
              }),
            );
          },
          (cause: unknown) =>
            onError(
              new WorkerError({
                message: `could not keep the batch in hand invisible (${cause instanceof Error ? cause.message : String(cause)}): its messages may be handed to another worker meanwhile`,
                cause,
              }),
            ),
        );
    },
    Math.max(250, (visibilitySeconds * 1000) / 2),
  );
  return () => clearInterval(timer);
};

/**
 * Processes one received batch with the batch handler and deletes what settled. Failed records are
 * left alone: they reappear once the visibility timeout (renewed while the batch ran) has passed.
 * A batch that runs past Lambda's longest timeout fails as a whole, as it would on Lambda.
 */
export const processMessages = async (
  runtime: WorkerRuntime,
  sqs: SQSClient,
  queueUrl: string,
  messages: ReadonlyArray<Message>,
  options: { readonly visibilitySeconds?: number; readonly onError?: (error: WorkerError) => void } = {},
): Promise<BatchReport & { readonly error?: unknown }> => {
  let dispositions: ReadonlyArray<Disposition>;
  const release = holdMessages(sqs, queueUrl, messages, options.visibilitySeconds ?? 0, (e) => options.onError?.(e));
  try {
    dispositions = await runtime.run(handleBatch(messages.map(fromSdkMessage)), {
      signal: AbortSignal.timeout(BATCH_DEADLINE_MS),
    });
  } catch (error) {
    // The whole batch failed (configuration unreadable, deadline passed): every record is redelivered.
    return { received: messages.length, deleted: 0, failed: messages.length, error };
  } finally {
    release();
  }
  const settled = messages.flatMap((m, i) => (dispositions[i]?.action === "retry" ? [] : [{ m, i }]));
  const failed = messages.length - settled.length;
  if (settled.length === 0) return { received: messages.length, deleted: 0, failed };
  try {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: settled.map(({ m, i }) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
    const notDeleted = out.Failed?.length ?? 0;
    return {
      received: messages.length,
      deleted: settled.length - notDeleted,
      failed,
      ...(notDeleted > 0 && { error: new Error(`${notDeleted} settled message(s) could not be deleted`) }),
    };
  } catch (error) {
    // They reappear after the visibility timeout; the ledger makes the second run a no-op.
    return { received: messages.length, deleted: 0, failed, error };
  }
};

/** SQS's default visibility timeout, assumed when the queue's own cannot be read. */
const DEFAULT_VISIBILITY_SECONDS = 30;

/** The queue's visibility timeout in seconds (SQS's default, logged as such, when it cannot be read). */
const queueVisibility = async (sqs: SQSClient, queueUrl: string, telemetry: Telemetry["Service"]): Promise<number> => {
  const assumeDefault = (why: string) => {
    telemetry.logger.warn(
      `could not read the queue's visibility timeout (${why}); assuming ${DEFAULT_VISIBILITY_SECONDS} s, SQS's default. Set --visibility-timeout to choose it.`,
      { queueUrl },
    );
    return DEFAULT_VISIBILITY_SECONDS;
  };
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
    );
    const raw = out.Attributes?.VisibilityTimeout;
    const n = Number(raw);
    return raw !== undefined && Number.isFinite(n) ? n : assumeDefault("the queue did not say");
  } catch (error) {
    return assumeDefault(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
};

/**
 * Runs the worker until `signal` aborts. Resolves with what it did. Throws a WorkerError when it cannot
 * start (no AWS region); every later problem is reported through `onError` and retried.
 */
export const runWorker = async (options: WorkerOptions): Promise<WorkerStats> => {
  const env = options.env ?? process.env;
  const sqs = options.sqs ?? new SQSClient({});
  // A worker without a region would only ever fail to poll: say so once, at start.
  await sqs.config.region().catch((cause: unknown) => {
    throw new WorkerError({
      message: "no AWS region: set AWS_REGION (or a profile with a region) for the queue's region",
      cause,
    });
  });
  const telemetry = options.telemetry ?? options.layerOptions?.telemetry ?? makeTelemetry();
  const visibilitySeconds =
    options.visibilityTimeoutSeconds ?? (await queueVisibility(sqs, options.queueUrl, telemetry));
  const ownRuntime = options.runtime === undefined;
  let runtime = options.runtime;
  if (runtime === undefined) {
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
  const batchRuntime = runtime;
  const heartbeatFailed = (error: WorkerError) => {
    telemetry.logger.warn("visibility heartbeat failed", { queueUrl: options.queueUrl, error: error.message });
    options.onError?.(error);
  };
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
      const report = await processMessages(batchRuntime, sqs, options.queueUrl, messages, {
        visibilitySeconds,
        onError: heartbeatFailed,
      });
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
