import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DeliveryLedger } from "@offboard/core";
import { Effect } from "effect";
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
import { changeVisibility, retryAfterOf, type VisibilityChange, visibilitySeconds } from "./visibility.ts";

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

/** What one polled batch came to: messages received, deleted (settled), and left for redelivery. */
export interface BatchReport {
  readonly received: number;
  readonly deleted: number;
  /** Records left for redelivery (batch item failures, or a batch that failed as a whole). */
  readonly failed: number;
}

/** Totals of a self-hosted worker run, printed when it stops. */
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
  // A record that waits for a vendor's Retry-After comes back after exactly that, not the full visibility timeout.
  const changes = messages.flatMap((m, i): Array<VisibilityChange> => {
    const d = dispositions[i];
    const wait = d?.action === "retry" ? retryAfterOf(d.outcome) : undefined;
    return wait === undefined || m.ReceiptHandle === undefined
      ? []
      : [{ queueUrl, receiptHandle: m.ReceiptHandle, seconds: visibilitySeconds(wait) }];
  });
  if (changes.length > 0) await changeVisibility(sqs, changes);
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

/** How often, and how long apart, start-up checks are tried before a transient problem stops the worker. */
const START_ATTEMPTS_MS = [500, 2_000] as const;

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * The problem retrying cannot fix, said for an operator, or undefined for one that may pass (network,
 * throttling, 5xx). Named by the AWS SDK's error names, never by message text.
 */
export const permanentAwsProblem = (error: unknown, queueUrl: string): string | undefined => {
  const name = (error as { name?: unknown } | undefined)?.name;
  switch (name) {
    case "QueueDoesNotExist":
    case "AWS.SimpleQueueService.NonExistentQueue":
      return `queue ${queueUrl} does not exist (check --queue-url, AWS_REGION and AWS_ENDPOINT_URL)`;
    case "CredentialsProviderError":
      return `no AWS credentials: ${(error as Error).message} (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a role)`;
    case "InvalidClientTokenId":
    case "UnrecognizedClientException":
    case "SignatureDoesNotMatch":
    case "ExpiredToken":
    case "ExpiredTokenException":
    case "InvalidSecurity":
      return `AWS refused the worker's credentials (${name}): ${(error as Error).message}`;
    case "AccessDenied":
    case "AccessDeniedException":
    case "AWS.SimpleQueueService.AccessDenied":
      return `the worker's credentials may not use queue ${queueUrl} (${name}): ${(error as Error).message}`;
    case "ResourceNotFoundException":
      return `a resource the worker needs does not exist (${name}): ${(error as Error).message} (for the ledger table: offboard ledger create-table)`;
    case "InvalidAddress":
    case "InvalidParameterValue":
      return `${queueUrl} is not a usable queue URL (${name}): ${(error as Error).message}`;
    default:
      return undefined;
  }
};

/**
 * Tries `check` at start-up: a permanent problem stops the worker at once, a transient one is retried
 * a couple of times (about 2.5 s in all) and then stops it too: a worker that cannot start says why and
 * exits, rather than retrying forever behind a "configuration loaded" line.
 */
const atStart = async <A>(
  what: string,
  check: () => Promise<A>,
  permanent: (error: unknown) => string | undefined,
  signal: AbortSignal | undefined,
): Promise<A> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      const fatal = permanent(error);
      if (fatal !== undefined) throw new WorkerError({ message: `cannot start: ${fatal}`, cause: error });
      const wait = START_ATTEMPTS_MS[attempt];
      if (wait === undefined || signal?.aborted === true) {
        throw new WorkerError({
          message: `cannot start: ${what} failed ${attempt + 1} times: ${errorText(error)}`,
          cause: error,
        });
      }
      await sleep(wait, signal);
    }
  }
};

/** The queue's visibility timeout in seconds; also proves the queue exists and the credentials work. */
const probeQueue = async (
  sqs: SQSClient,
  queueUrl: string,
  telemetry: Telemetry["Service"],
  signal: AbortSignal | undefined,
): Promise<number> => {
  const out = await atStart(
    `reading queue ${queueUrl}`,
    () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] })),
    (error) => permanentAwsProblem(error, queueUrl),
    signal,
  );
  const raw = out.Attributes?.VisibilityTimeout;
  const n = Number(raw);
  if (raw !== undefined && Number.isFinite(n)) return n;
  telemetry.logger.warn(
    `the queue did not say its visibility timeout; assuming ${DEFAULT_VISIBILITY_SECONDS} s, SQS's default. Set --visibility-timeout to choose it.`,
    { queueUrl },
  );
  return DEFAULT_VISIBILITY_SECONDS;
};

/**
 * Builds the services (configuration, secret, sinks, ledger) and reads the ledger once, so a bad
 * configuration, no active sink, an unusable state directory, a missing ledger table or missing
 * credentials stop the worker at start with the cause.
 */
const startServices = (runtime: WorkerRuntime, signal: AbortSignal | undefined) =>
  atStart(
    "building the configuration and the ledger",
    () =>
      runtime.run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.getCase("offboard:start-up-check");
        }),
      ),
    (error) => {
      const tag = (error as { _tag?: unknown } | undefined)?._tag;
      // A bad configuration, an unusable state directory or a ledger that refuses us will not pass by itself.
      if (tag === "ConfigError") return (error as Error).message;
      if (tag === "LedgerError") {
        const e = error as { message: string; cause?: unknown; permanent?: boolean };
        const aws = permanentAwsProblem(e.cause, "");
        if (e.permanent === true || aws !== undefined || e.message.startsWith("cannot use state directory"))
          return `ledger: ${e.message}`;
      }
      return undefined;
    },
    signal,
  );

/**
 * Runs the worker until `signal` aborts. Resolves with what it did. Throws a WorkerError, naming the
 * cause, when it cannot start (no AWS region, no credentials, no such queue, a bad configuration, no
 * active sink, an unusable ledger) or when the queue becomes unusable for good while running; every
 * transient problem is reported through `onError` and retried.
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
  // The queue exists and the credentials work, or the worker stops here with the cause.
  const queueVisibility = await probeQueue(sqs, options.queueUrl, telemetry, options.signal);
  const visibilitySeconds = options.visibilityTimeoutSeconds ?? queueVisibility;
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
  if (ownRuntime) {
    try {
      await startServices(runtime, options.signal);
    } catch (error) {
      await runtime.dispose();
      if (options.sqs === undefined) sqs.destroy();
      throw error;
    }
  }
  const heartbeatFailed = (error: WorkerError) => {
    telemetry.logger.warn("visibility heartbeat failed", { queueUrl: options.queueUrl, error: error.message });
    options.onError?.(error);
  };
  const stats = { batches: 0, received: 0, deleted: 0, failed: 0 };
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 20));
  const { signal } = options;
  let fatal: WorkerError | undefined;
  const stopped = () => signal?.aborted === true || fatal !== undefined;

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
        const problem = permanentAwsProblem(error, options.queueUrl);
        if (problem !== undefined) {
          // The queue was deleted or the credentials revoked while running: retrying cannot help.
          fatal = new WorkerError({ message: `stopping: ${problem}`, cause: error });
          break;
        }
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
  if (fatal !== undefined) throw fatal;
  return stats;
};
