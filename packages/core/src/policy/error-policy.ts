import { Cause, Duration, Schedule } from "effect";
import type { Timeliness } from "../cases/machine.ts";
import type { LifecycleKind } from "../domain/catalogue.ts";
import type { IgnoreReason } from "../domain/decide.ts";
import type { Person } from "../domain/event.ts";
import type { HrisStatus } from "../domain/hris.ts";
import type { FailureClass, LedgerError, RejectCode, SinkError } from "../errors.ts";
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

/** What the decision was for an event: route, ignore or reject. */
export type Verdict = "route" | "ignore" | "reject";

/** Why an event reached no sink: an ignore reason (acknowledged) or a reject code (dead-lettered). */
export type OutcomeReason = IgnoreReason | RejectCode;

/** What every event outcome may carry, whatever the verdict. */
interface OutcomeFields {
  readonly uuid?: string;
  readonly eventType?: string;
  readonly published?: string;
  readonly kind?: LifecycleKind;
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

/** A routed event: its sinks say what happened. */
export interface RoutedOutcome extends OutcomeFields {
  readonly decision: "route";
  readonly reason?: undefined;
}
/** A valid event deliberately left alone. */
export interface IgnoredOutcome extends OutcomeFields {
  readonly decision: "ignore";
  readonly reason: IgnoreReason;
}
/** Input that cannot be trusted or acted on. */
export interface RejectedOutcome extends OutcomeFields {
  readonly decision: "reject";
  readonly reason: RejectCode;
}

/** What happened to one event. `reason` is an ignore reason or a reject code, by `decision`. */
export type EventOutcome = RoutedOutcome | IgnoredOutcome | RejectedOutcome;

/** What the worker does with the SQS record. */
export type RecordStatus = "delivered" | "ignored" | "rejected" | "retry-later";

/**
 * What happened to one input record (one SQS message): its status for the queue, the reason when it is not
 * delivered, and each event's outcome.
 */
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

/**
 * Every way a sink attempt ends, named. The pipeline picks one; what each means for the record
 * (acknowledge, redeliver, dead-letter) is `recordOutcome`'s, below.
 */
export const SinkOutcome = {
  /** Delivered by this attempt. `ledgerError` when the ledger could not record it (a redelivery may repeat it). */
  /** A receipt with `noop` (the sink deliberately did nothing) is `skipped` or `superseded`, not delivered. */
  delivered: (sink: string, receipt: Receipt, ledgerError?: LedgerError): SinkOutcome =>
    ledgerError === undefined
      ? { sink, status: receipt.noop ?? "delivered", receipt }
      : {
          sink,
          status: receipt.noop ?? "delivered",
          receipt,
          message: `delivered, but the ledger was not updated: ${ledgerError.message}`,
        },
  /** An earlier attempt delivered it (the ledger says so): skipped. */
  duplicate: (sink: string, receipt: Receipt): SinkOutcome => ({ sink, status: "duplicate", receipt }),
  /**
   * The policy routes here but no such sink is configured: never acknowledged as delivered. Retried
   * (the configuration may be fixed meanwhile), then dead-lettered with reason sink-inactive.
   */
  inactive: (sink: string): SinkOutcome => ({
    sink,
    status: "inactive",
    retryable: true,
    code: "sink-inactive",
    message: `the routing policy sends this event to ${sink}, which is not configured`,
  }),
  /** Another attempt holds the lease: transient, redeliver later. */
  busy: (sink: string, leaseUntil: number): SinkOutcome => ({
    sink,
    status: "busy",
    retryable: true,
    message: `another attempt holds the lease until ${new Date(leaseUntil).toISOString()}`,
  }),
  /** The ledger could not be read or written: transient (never deliver without a claim). */
  ledgerUnavailable: (sink: string, error: LedgerError): SinkOutcome =>
    error.permanent === true
      ? // The store refused this request as invalid: the same request would be refused again.
        {
          sink,
          status: "failed",
          retryable: false,
          message: `ledger refused: ${error.message}`,
          code: "ledger-rejected",
        }
      : { sink, status: "failed", retryable: true, message: `ledger unavailable: ${error.message}`, code: "ledger" },
  /** The sink took longer than the sink timeout: transient. */
  timedOut: (sink: string, timeoutMs: number): SinkOutcome => ({
    sink,
    status: "failed",
    retryable: true,
    message: `timed out after ${timeoutMs} ms`,
    code: "timeout",
  }),
  /** The sink died (a defect, not a classified SinkError): transient, so the record is not lost. */
  crashed: (sink: string, cause: Cause.Cause<unknown>): SinkOutcome => ({
    sink,
    status: "failed",
    retryable: true,
    message: `sink crashed: ${Cause.pretty(cause).split("\n")[0]}`,
    code: "defect",
  }),
  /** The sink failed and said how (transient or permanent). */
  failed: sinkFailure,
} as const;

/**
 * How bookkeeping after a delivery (ledger `complete`) is retried: a few quick attempts, because a
 * delivery the ledger forgets could be repeated by a redelivery. Shared by the sinks and the DLQ.
 */
export const completionRetry = {
  schedule: Schedule.exponential(Duration.millis(50)),
  times: 3,
} as const;

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
      rejects.push({ code: e.reason, message: e.message ?? "rejected" });
      continue;
    }
    if (e.decision !== "route") continue;
    routed = true;
    for (const s of e.sinks) {
      const label = `${s.sink} for ${e.uuid ?? "?"}: ${s.message ?? s.status}`;
      if (needsRetry(s)) retry.push(label);
      else if (permanent(s))
        rejects.push({ code: s.code === "ledger-rejected" ? "ledger-rejected" : "sink-permanent", message: label });
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

/**
 * From which receive on a record held back only by routes to sinks that are not configured is
 * dead-lettered (reason `sink-inactive`) instead of retried: below the queue's `maxReceiveCount` (5 in
 * the stack), so the worker dead-letters it with its reason before SQS's redrive moves it without one.
 */
export const SINK_INACTIVE_MAX_RECEIVES = 3;

/**
 * The record's fate once its receive count is known: a `retry-later` record whose only problems are
 * sinks that are not configured is retried twice (a configuration being fixed), then `rejected` with
 * reason `sink-inactive` so it lands in the DLQ with that reason. Anything else is unchanged.
 */
export const settleAfterReceives = (record: RecordOutcome, receiveCount: number | undefined): RecordOutcome => {
  if (record.status !== "retry-later" || receiveCount === undefined || receiveCount < SINK_INACTIVE_MAX_RECEIVES)
    return record;
  const sinks = record.events.flatMap((e) => (e.decision === "route" ? e.sinks : []));
  const held = sinks.filter((s) => needsRetry(s));
  if (held.length === 0 || !held.every((s) => s.status === "inactive")) return record;
  return {
    ...record,
    status: "rejected",
    reasonCode: "sink-inactive",
    reason: `sink-inactive: after ${receiveCount} receives: ${record.reason ?? "a routed sink is not configured"}`,
  };
};
