import { Context, type Effect, Layer } from "effect";
import type { CaseStep, TicketAction } from "../cases/machine.ts";
import type { LifecycleKind } from "../domain/catalogue.ts";
import type { OffboardingEvent } from "../domain/event.ts";
import type { HrisStatus } from "../domain/hris.ts";
import type { SinkError } from "../errors.ts";
import type { CaseRecord, Coordination } from "./ledger.ts";

/** What a sink hands back after delivering: a reference an operator (or a later sink) can follow. */
export interface Receipt {
  readonly sink: string;
  /** The sink's own id for what it made: a Slack message ts, a Jira issue key, a file line number. */
  readonly ref: string;
  /** A link a person can open, when there is one. */
  readonly url?: string;
  /** Sink-specific details kept with the case (Slack channel id, …). */
  readonly detail?: Readonly<Record<string, string>>;
  /** True when the sink found it had already done this (a Jira issue carrying this event's uuid). */
  readonly alreadyExisted?: boolean;
  /** For a ticket sink: the case's ticket action it carried out (`DeliveryContext.step.ticket`). */
  readonly ticket?: TicketAction;
  /**
   * Set when the sink deliberately did nothing: `superseded` (the event is older than the case's state,
   * or cannot be placed in time) or `skipped` (nothing for this sink to do). The outcome then says so
   * instead of `delivered`.
   */
  readonly noop?: "skipped" | "superseded";
}

/** Everything a sink may know besides the event itself. */
export interface DeliveryContext {
  /** The case opened for this subject by an earlier event, for follow-ups to thread onto. */
  readonly case: CaseRecord | undefined;
  /** Whether this event is a follow-up (unsuspended, reactivated) of an earlier one. */
  readonly followUp: boolean;
  readonly hris: HrisStatus;
  /**
   * Set when this event arrived after a later event of the same user was already applied (Okta delivers
   * out of order): the user's current state is that later event's. Sinks should say so, and must not
   * start work that the later event undid (no offboarding ticket for a user already reactivated).
   */
  readonly supersededBy?: Superseded;
  /**
   * Where this event falls in its case and what the case's ticket needs (open, comment, close or
   * nothing): a ticket sink carries out `step.ticket` and nothing else; an alerting sink shows
   * `step.timeliness` (history, or a warning for a date in the future). Absent only in tests that
   * build a context by hand.
   */
  readonly step?: CaseStep;
  /** Receipts of the sinks that ran before this one for the same event (Slack links the Jira ticket). */
  readonly receipts: ReadonlyMap<string, Receipt>;
  /** `${event.id}:${sink}`: pass it to vendors that accept one. */
  readonly idempotencyKey: string;
  /**
   * Records shared with every other writer through the ledger (per-channel pacing, burst digests).
   * The pipeline always passes it; a sink called without it works alone.
   */
  readonly coordination?: Coordination;
}

/** The later event that an out-of-order event arrived behind. */
export interface Superseded {
  readonly kind: LifecycleKind;
  /** Okta uuid of the later event, when known. */
  readonly eventId?: string;
  /** Its `published`, as ISO-8601. */
  readonly occurredAt: string;
}

/** A destination for routed events. A new sink is one adapter file plus one line in the adapters' registry. */
export interface Sink {
  readonly name: string;
  readonly deliver: (event: OffboardingEvent, context: DeliveryContext) => Effect.Effect<Receipt, SinkError>;
}

/** The active sinks, by name. Built by the adapters' registry from configuration. */
export class Sinks extends Context.Service<
  Sinks,
  {
    /** Active sinks; a routed sink name that is not here is reported as "inactive". */
    readonly byName: ReadonlyMap<string, Sink>;
  }
>()("offboard/Sinks") {}

/** Builds the Sinks service value from a list of sinks (later duplicates of a name are an error). */
export const sinksOf = (sinks: ReadonlyArray<Sink>): Sinks["Service"] => {
  const byName = new Map<string, Sink>();
  for (const s of sinks) {
    if (byName.has(s.name)) throw new Error(`two sinks are named "${s.name}"`);
    byName.set(s.name, s);
  }
  return { byName };
};

/**
 * The `Sinks` service over the given sinks, as a layer: how a program provides its sinks to
 * `processBatch` (the adapters' `sinksFromConfig` builds the same from configuration).
 *
 * @example
 * ```ts
 * const layer = Layer.mergeAll(PipelineConfig.layer(), DeliveryLedger.inMemory(), HrisDirectory.none, sinksLayer([mySink]));
 * ```
 */
export const sinksLayer = (sinks: ReadonlyArray<Sink>): Layer.Layer<Sinks> => Layer.succeed(Sinks, sinksOf(sinks));
