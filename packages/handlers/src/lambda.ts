import type { SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import sqsPartialBatchFailure from "@middy/sqs-partial-batch-failure";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { handleBatch, toSettled } from "./batch.ts";
import { fromLambdaRecord } from "./message.ts";
import type { WorkerRuntime } from "./runtime.ts";
import {
  changeVisibility,
  queueUrlFromArn,
  retryAfterOf,
  type VisibilityChange,
  visibilitySeconds,
} from "./visibility.ts";

export interface SqsHandlerOptions {
  /** For records to retry after a vendor's Retry-After: their visibility is set to it. None: left as is. */
  readonly sqs?: SQSClient;
  /** The queue URL of a record's event source ARN (default: the standard SQS URL of the ARN). */
  readonly queueUrlOf?: (eventSourceARN: string) => string | undefined;
}

/** The SQS worker's Lambda handler signature: an SQS event in, the batch item failures out. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The SQS worker handler over a runtime: middy with @middy/sqs-partial-batch-failure, so SQS deletes
 * the records that settled (delivered, ignored, dead-lettered) and redelivers only the others. If the
 * whole invocation fails (configuration unreadable, Lambda about to time out), every record is reported
 * as failed: nothing is ever dropped.
 */
export const makeSqsHandler = (runtime: WorkerRuntime, options: SqsHandlerOptions = {}): SqsHandler => {
  const queueUrlOf = options.queueUrlOf ?? queueUrlFromArn;
  const wrapped = middy<SQSEvent, SQSBatchResponse>()
    // Our telemetry logs each failed record (ids only); middy's default logger would print whole bodies.
    .use(sqsPartialBatchFailure({ logger: () => undefined }))
    .handler(async (event: SQSEvent, _context: Context, { signal }: { signal: AbortSignal }) => {
      const dispositions = await runtime.run(handleBatch(event.Records.map(fromLambdaRecord)), { signal });
      // A record that waits for a vendor's Retry-After comes back after exactly that, not the full visibility timeout.
      if (options.sqs !== undefined) {
        const changes: Array<VisibilityChange> = [];
        dispositions.forEach((d, i) => {
          const record = event.Records[i];
          const wait = d.action === "retry" ? retryAfterOf(d.outcome) : undefined;
          const queueUrl = record !== undefined ? queueUrlOf(record.eventSourceARN) : undefined;
          if (wait !== undefined && record !== undefined && queueUrl !== undefined) {
            changes.push({ queueUrl, receiptHandle: record.receiptHandle, seconds: visibilitySeconds(wait) });
          }
        });
        if (changes.length > 0) await changeVisibility(options.sqs, changes);
      }
      // The middleware turns the settled results (in record order) into { batchItemFailures }.
      return toSettled(dispositions) as unknown as SQSBatchResponse;
    });
  return (event, context) => wrapped(event, context);
};
