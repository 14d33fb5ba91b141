import type { RecordOutcome } from "@offboard/core";

/**
 * What the worker did with one SQS record:
 * - `ack`: delivered or ignored; delete it.
 * - `dead-lettered`: rejected and sent to the DLQ with its reason; delete it.
 * - `retry`: leave it (a Lambda batch item failure): SQS hands it out again after the visibility timeout.
 */
export interface Disposition {
  readonly messageId: string;
  readonly action: "ack" | "dead-lettered" | "retry";
  readonly outcome: RecordOutcome;
  /** Set when a rejected record could not be dead-lettered (and is therefore retried). */
  readonly deadLetterError?: string;
}
