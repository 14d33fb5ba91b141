import { Clock, Context, Effect, Layer } from "effect";
import type { LifecycleKind } from "../domain/catalogue.ts";
import type { LedgerError } from "../errors.ts";
import type { Receipt } from "./sink.ts";

/** The answer to "may I deliver event E to sink S now?". */
export type Claim =
  /** Yes: you hold the lease until `leaseUntil`; complete or release with this token. */
  | { readonly _tag: "Claimed"; readonly token: string; readonly leaseUntil: number }
  /** No: it was delivered already; here is what the sink handed back. */
  | { readonly _tag: "Completed"; readonly receipt: Receipt }
  /** No: another attempt holds an unexpired lease; try again after `leaseUntil`. */
  | { readonly _tag: "Busy"; readonly leaseUntil: number };

/** The offboarding ticket a case holds (a Jira issue), as its ticket sink reported it. */
export interface CaseTicket {
  /** `open` while the user's state needs it; `closed` once a later event (reactivated) closed it. */
  readonly status: "open" | "closed";
  /** The sink that holds the ticket ("jira"). */
  readonly sink: string;
  /** The sink's reference: the issue key. */
  readonly ref: string;
  readonly url?: string;
  /** The Okta uuid of the event that opened it. */
  readonly openedBy: string;
}

/**
 * What offboard remembers about a subject user, so follow-ups land on the same Slack thread and ticket,
 * and an event that arrives after a later one is recognised as superseded.
 */
export interface CaseRecord {
  readonly subjectId: string;
  /** The event that opened the case (the latest non-follow-up event). */
  readonly openedBy: string;
  readonly openedKind: LifecycleKind;
  /** `published` of the latest event applied to the case (ms since epoch), to resist out-of-order updates. */
  readonly lastPublished: number;
  readonly lastKind: LifecycleKind;
  /** Okta uuid of the latest event applied to the case. */
  readonly lastEventId?: string;
  /** Receipts of the sinks for the opening event, by sink name (Slack channel+ts, Jira key). */
  readonly receipts: Readonly<Record<string, Receipt>>;
  /** The case's offboarding ticket (absent in records written before the case state machine). */
  readonly ticket?: CaseTicket;
}

/**
 * The delivery ledger: at most one successful delivery per (event id, sink), with leases so a crashed
 * attempt is retried once its lease expires; and one case record per subject user.
 */
export class DeliveryLedger extends Context.Service<
  DeliveryLedger,
  {
    readonly claim: (eventId: string, sink: string, leaseMs: number) => Effect.Effect<Claim, LedgerError>;
    /** Records the delivery. Fails (LedgerError) only when storage is unavailable. */
    readonly complete: (
      eventId: string,
      sink: string,
      token: string,
      receipt: Receipt,
    ) => Effect.Effect<void, LedgerError>;
    /** Gives the lease back after a failed attempt, so a retry need not wait for it to expire. */
    readonly release: (eventId: string, sink: string, token: string) => Effect.Effect<void, LedgerError>;
    readonly getCase: (subjectId: string) => Effect.Effect<CaseRecord | undefined, LedgerError>;
    /** Stores the case, unless the stored one already holds a later event (`lastPublished`): never goes back in time. */
    readonly putCase: (record: CaseRecord) => Effect.Effect<void, LedgerError>;
  }
>()("offboard/DeliveryLedger") {
  /** A ledger in memory: for tests, benchmarks and one-shot runs. Uses effect's Clock for leases. */
  static readonly inMemory = (): Layer.Layer<DeliveryLedger> => Layer.sync(DeliveryLedger, () => makeInMemoryLedger());
}

type Entry =
  | { readonly state: "leased"; readonly token: string; readonly leaseUntil: number }
  | { readonly state: "done"; readonly receipt: Receipt };

let tokenCounter = 0;

/** The in-memory ledger's implementation, exposed for adapters that wrap it. */
export const makeInMemoryLedger = (): DeliveryLedger["Service"] => {
  const deliveries = new Map<string, Entry>();
  const cases = new Map<string, CaseRecord>();
  const key = (eventId: string, sink: string) => `${eventId}\u0000${sink}`;
  return {
    claim: (eventId, sink, leaseMs) =>
      Effect.map(Clock.currentTimeMillis, (now): Claim => {
        const k = key(eventId, sink);
        const entry = deliveries.get(k);
        if (entry?.state === "done") return { _tag: "Completed", receipt: entry.receipt };
        if (entry?.state === "leased" && entry.leaseUntil > now) return { _tag: "Busy", leaseUntil: entry.leaseUntil };
        tokenCounter += 1;
        const token = `${now.toString(36)}-${tokenCounter.toString(36)}`;
        const leaseUntil = now + leaseMs;
        deliveries.set(k, { state: "leased", token, leaseUntil });
        return { _tag: "Claimed", token, leaseUntil };
      }),
    complete: (eventId, sink, _token, receipt) =>
      Effect.sync(() => {
        deliveries.set(key(eventId, sink), { state: "done", receipt });
      }),
    release: (eventId, sink, token) =>
      Effect.sync(() => {
        const k = key(eventId, sink);
        const entry = deliveries.get(k);
        if (entry?.state === "leased" && entry.token === token) deliveries.delete(k);
      }),
    getCase: (subjectId) => Effect.sync(() => cases.get(subjectId)),
    putCase: (record) =>
      Effect.sync(() => {
        const current = cases.get(record.subjectId);
        if (current === undefined || record.lastPublished >= current.lastPublished) cases.set(record.subjectId, record);
      }),
  };
};
