import middy from "@middy/core";
import sqsPartialBatchFailure from "@middy/sqs-partial-batch-failure";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { handleBatch, toSettled } from "./batch.ts";
import { fromLambdaRecord } from "./message.ts";
import type { WorkerRuntime } from "./runtime.ts";

/** The SQS worker's Lambda handler signature: an SQS event in, the batch item failures out. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The SQS worker handler over a runtime: middy with @middy/sqs-partial-batch-failure, so SQS deletes
 * the records that settled (delivered, ignored, dead-lettered) and redelivers only the others. If the
 * whole invocation fails (configuration unreadable, Lambda about to time out), every record is reported
 * as failed: nothing is ever dropped.
 */
export const makeSqsHandler = (runtime: WorkerRuntime): SqsHandler => {
  const wrapped = middy<SQSEvent, SQSBatchResponse>()
    // Our telemetry logs each failed record (ids only); middy's default logger would print whole bodies.
    .use(sqsPartialBatchFailure({ logger: () => undefined }))
    .handler(async (event: SQSEvent, _context: Context, { signal }: { signal: AbortSignal }) => {
      const dispositions = await runtime.run(handleBatch(event.Records.map(fromLambdaRecord)), { signal });
      // The middleware turns the settled results (in record order) into { batchItemFailures }.
      return toSettled(dispositions) as unknown as SQSBatchResponse;
    });
  return (event, context) => wrapped(event, context);
};
