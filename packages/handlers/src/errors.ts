import { Data } from "effect";

/** A rejected record could not be sent to the dead-letter queue: the record is then left for SQS to redeliver. */
export class DeadLetterError extends Data.TaggedError("DeadLetterError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}

/** The worker could not start or could not talk to its queue. */
export class WorkerError extends Data.TaggedError("WorkerError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}
