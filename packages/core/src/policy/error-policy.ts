import type { Timeliness } from "../cases/machine.ts";
import type { LifecycleKind } from "../domain/catalogue.ts";
import type { Person } from "../domain/event.ts";
import type { HrisStatus } from "../domain/hris.ts";
import type { FailureClass, RejectCode, SinkError } from "../errors.ts";
import type { Receipt, Superseded } from "../ports/sink.ts";

/**
 * The error policy, in one place: how each sink attempt ends, and what that means for the SQS record
 * that carried the event (acknowledge, redeliver, or dead-letter with a reason).
 */

export type SinkStatus =
  /** Delivered by this attempt. */
  | "delivered"
  /** Already delivered by an earlier attempt (the ledger said so): skipped. */
  | "duplicate"
  /** Failed; `retryable` says whether redelivery can help. */
  | "failed"
  /** Another attempt holds the lease right now: redeliver later. */
  | "busy"
  /** The sink ran and deliberately did nothing (no ticket for this state): not delivered. */
  | "skipped"
  /** The event is older than its case's state (or cannot be placed in time): the sink left the case alone. */
  | "superseded"
  /** The policy routes to this sink but it is not configured: retried, then dead-lettered (sink-inactive). */
  | "inactive";

export interface SinkOutcome {
  readonly sink: string;
  readonly status: SinkStatus;
  readonly receipt?: Receipt;
  readonly retryable?: boolean;
  readonly message?: string;
  readonly code?: string;
  readonly retryAfterMs?: number;
}

export type Verdict = "route" | "ignore" | "reject";

export interface EventOutcome {
  readonly uuid?: string;
  readonly eventType?: string;
  readonly published?: string;
  readonly decision: Verdict;
  readonly kind?: LifecycleKind;
  /** Ignore reason code or reject code. */
  readonly reason?: string;
  readonly message?: string;
  readonly subject?: Person;
  readonly actor?: Person;
  readonly hris?: HrisStatus;
  /** Set when a later event of the same user had already been applied: this one arrived out of order. */
  readonly supersededBy?: Superseded;
  /** Where the event fell in its case: current, repeat, history, future or undated (see cases/machine.ts). */
  readonly timeliness?: Timeliness;
  readonly sinks: ReadonlyArray<SinkOutcome>;
}

/** What the worker does with the SQS record. */
export type RecordStatus = "delivered" | "ignored" | "rejected" | "retry-later";

export interface RecordOutcome {
  readonly recordId: string;
  readonly status: RecordStatus;
  /** For rejected records: the reject code of the first problem (the DLQ message's reason attribute). */
  readonly reasonCode?: RejectCode;
  /** For rejected and retry-later records: every problem, human readable. */
  readonly reason?: string;
  readonly events: ReadonlyArray<EventOutcome>;
}

/** How a failed sink attempt is classified. */
export const sinkFailure = (error: SinkError): SinkOutcome => ({
  sink: error.sink,
  status: "failed",
  retryable: isRetryable(error.failure),
  message: error.message,
  ...(error.code !== undefined && { code: error.code }),
  ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
});

export const isRetryable = (failure: FailureClass): boolean => failure === "transient";

const needsRetry = (s: SinkOutcome) =>
  s.status === "busy" || ((s.status === "failed" || s.status === "inactive") && s.retryable === true);
const permanent = (s: SinkOutcome) => s.status === "failed" && s.retryable !== true;

/**
 * The record's fate. Any transient problem → retry-later (SQS redelivers; completed sinks are skipped).
 * Otherwise any rejection or permanent sink failure → rejected (DLQ with the reason). Otherwise
 * delivered when something was routed, else ignored.
 */
export const recordOutcome = (recordId: string, events: ReadonlyArray<EventOutcome>): RecordOutcome => {
  const retry: Array<string> = [];
  const rejects: Array<{ code: RejectCode; message: string }> = [];
  let routed = false;
  for (const e of events) {
    if (e.decision === "reject") {
      rejects.push({ code: (e.reason as RejectCode | undefined) ?? "not-okta", message: e.message ?? "rejected" });
      continue;
    }
    if (e.decision !== "route") continue;
    routed = true;
    for (const s of e.sinks) {
      const label = `${s.sink} for ${e.uuid ?? "?"}: ${s.message ?? s.status}`;
      if (needsRetry(s)) retry.push(label);
      else if (permanent(s)) rejects.push({ code: "sink-permanent", message: label });
    }
  }
  if (retry.length > 0) return { recordId, status: "retry-later", reason: retry.join("; "), events };
  const first = rejects[0];
  if (first !== undefined) {
    return {
      recordId,
      status: "rejected",
      reasonCode: first.code,
      reason: rejects.map((r) => `${r.code}: ${r.message}`).join("; "),
      events,
    };
  }
  return { recordId, status: routed ? "delivered" : "ignored", events };
};
