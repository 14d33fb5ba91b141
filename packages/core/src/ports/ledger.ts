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
 * How one claimed sink's attempt ended, for `settle`: with a `receipt` the delivery is recorded (the first
 * receipt wins); without one the lease is given back (only while `token` still holds it).
 */
export interface Settlement {
  readonly sink: string;
  readonly token: string;
  readonly receipt?: Receipt;
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

/** The batch operations a ledger implements; `DeliveryLedger.make` derives the single-sink ones from them. */
export interface LedgerOperations {
  /**
   * Claims every named sink of one event at once: one conditional write in the DynamoDB ledger. Each sink
   * gets its own answer: Claimed (this call holds the lease), Completed (delivered before) or Busy.
   */
  readonly claimAll: (
    eventId: string,
    sinks: ReadonlyArray<string>,
    leaseMs: number,
  ) => Effect.Effect<ReadonlyMap<string, Claim>, LedgerError>;
  /** Records the receipts and gives back the failed leases of one event at once (one write). */
  readonly settle: (eventId: string, settlements: ReadonlyArray<Settlement>) => Effect.Effect<void, LedgerError>;
  /** The case records of many subjects at once (one read); subjects without a case are absent from the map. */
  readonly getCases: (subjectIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, CaseRecord>, LedgerError>;
  /** Stores the case, unless the stored one already holds a later event (`lastPublished`): never goes back in time. */
  readonly putCase: (record: CaseRecord) => Effect.Effect<void, LedgerError>;
}

/**
 * A small record shared by every writer (every Lambda invocation and self-hosted worker on this
 * ledger), for coordination that is not a delivery: per-channel pacing, burst digests, notes an
 * attempt leaves for the next. The value is opaque text (JSON, chosen by its user); `version` grows by
 * one on each write, so a read-modify-write is a compare-and-set (`putShared` with the version read).
 */
export interface SharedRecord {
  readonly value: string;
  readonly version: number;
}

/** The part of the ledger sinks may use to coordinate with each other (pacing, digests). */
export interface Coordination {
  /** The record under `key`, or undefined when there is none (or it has expired). */
  readonly getShared: (key: string) => Effect.Effect<SharedRecord | undefined, LedgerError>;
  /**
   * Writes `value` under `key` when the stored version is still `expected` (undefined: only when there
   * is no record, or it has expired); true when written (its version is then `expected + 1`, or 1),
   * false when another writer got there first. The record may be forgotten `ttlMs` after this write.
   */
  readonly putShared: (
    key: string,
    value: string,
    expected: number | undefined,
    ttlMs: number,
  ) => Effect.Effect<boolean, LedgerError>;
  /**
   * Appends `item` to the shared list under `key` without reading it first (no compare-and-set, so
   * hundreds of writers never retry each other) and resolves with its position: 0, 1, 2, … in the order
   * the appends were applied, each handed out once. The list may be forgotten `ttlMs` after this append.
   */
  readonly appendShared: (key: string, item: string, ttlMs: number) => Effect.Effect<number, LedgerError>;
  /**
   * The list under `key`: `size` positions handed out so far, and the items in position order (a
   * position whose writer failed between taking it and storing its item may be missing).
   */
  readonly listShared: (key: string) => Effect.Effect<SharedList, LedgerError>;
}

/** A shared list (see `Coordination.appendShared`). */
export interface SharedList {
  readonly size: number;
  readonly items: ReadonlyArray<{ readonly position: number; readonly item: string }>;
}

/**
 * The delivery ledger: at most one successful delivery per (event id, sink), with leases so a crashed
 * attempt is retried once its lease expires; and one case record per subject user.
 *
 * The pipeline uses the batch operations (`claimAll`, `settle`, `getCases`): with the DynamoDB ledger a
 * routed event costs one conditional write to claim all its sinks, one to record their results and one
 * conditional case write, plus one read of the whole batch's cases. The single-sink operations
 * (`claim`, `complete`, `release`, `getCase`) are the same store seen one sink at a time.
 */
export class DeliveryLedger extends Context.Service<
  DeliveryLedger,
  LedgerOperations &
    Coordination & {
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
    }
>()("offboard/DeliveryLedger") {
  /** A ledger in memory: for tests, benchmarks and one-shot runs. Uses effect's Clock for leases. */
  static readonly inMemory = (): Layer.Layer<DeliveryLedger> => Layer.sync(DeliveryLedger, () => makeInMemoryLedger());

  /** A full ledger service from the batch operations (the single-sink ones are derived). */
  static readonly make = (ops: LedgerOperations & Coordination): DeliveryLedger["Service"] =>
    DeliveryLedger.of({
      ...ops,
      claim: (eventId, sink, leaseMs) =>
        Effect.map(ops.claimAll(eventId, [sink], leaseMs), (claims) => claims.get(sink)!),
      complete: (eventId, sink, token, receipt) => ops.settle(eventId, [{ sink, token, receipt }]),
      release: (eventId, sink, token) => ops.settle(eventId, [{ sink, token }]),
      getCase: (subjectId) => Effect.map(ops.getCases([subjectId]), (cases) => cases.get(subjectId)),
    });
}

type Entry =
  | { readonly state: "leased"; readonly token: string; readonly leaseUntil: number }
  | { readonly state: "done"; readonly receipt: Receipt };

let tokenCounter = 0;

/** The in-memory ledger's implementation, exposed for adapters that wrap it. */
export const makeInMemoryLedger = (): DeliveryLedger["Service"] => {
  const deliveries = new Map<string, Entry>();
  const cases = new Map<string, CaseRecord>();
  const shared = new Map<string, SharedRecord & { readonly expiresAt: number }>();
  const lists = new Map<string, { items: Array<string>; expiresAt: number }>();
  const liveList = (key: string, now: number) => {
    const l = lists.get(key);
    return l !== undefined && l.expiresAt > now ? l : undefined;
  };
  const liveShared = (key: string, now: number) => {
    const r = shared.get(key);
    return r !== undefined && r.expiresAt > now ? r : undefined;
  };
  const key = (eventId: string, sink: string) => `${eventId}\u0000${sink}`;
  return DeliveryLedger.make({
    claimAll: (eventId, sinks, leaseMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const claims = new Map<string, Claim>();
        tokenCounter += 1;
        const token = `${now.toString(36)}-${tokenCounter.toString(36)}`;
        const leaseUntil = now + leaseMs;
        for (const sink of sinks) {
          const k = key(eventId, sink);
          const entry = deliveries.get(k);
          if (entry?.state === "done") claims.set(sink, { _tag: "Completed", receipt: entry.receipt });
          else if (entry?.state === "leased" && entry.leaseUntil > now) {
            claims.set(sink, { _tag: "Busy", leaseUntil: entry.leaseUntil });
          } else {
            deliveries.set(k, { state: "leased", token, leaseUntil });
            claims.set(sink, { _tag: "Claimed", token, leaseUntil });
          }
        }
        return claims;
      }),
    settle: (eventId, settlements) =>
      Effect.sync(() => {
        for (const s of settlements) {
          const k = key(eventId, s.sink);
          const entry = deliveries.get(k);
          if (s.receipt !== undefined) {
            if (entry?.state !== "done") deliveries.set(k, { state: "done", receipt: s.receipt });
          } else if (entry?.state === "leased" && entry.token === s.token) deliveries.delete(k);
        }
      }),
    getCases: (subjectIds) =>
      Effect.sync(() => {
        const found = new Map<string, CaseRecord>();
        for (const id of subjectIds) {
          const c = cases.get(id);
          if (c !== undefined) found.set(id, c);
        }
        return found;
      }),
    putCase: (record) =>
      Effect.sync(() => {
        const current = cases.get(record.subjectId);
        if (current === undefined || record.lastPublished >= current.lastPublished) cases.set(record.subjectId, record);
      }),
    getShared: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const r = liveShared(key, now);
        return r === undefined ? undefined : { value: r.value, version: r.version };
      }),
    putShared: (key, value, expected, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (liveShared(key, now)?.version !== expected) return false;
        shared.set(key, { value, version: (expected ?? 0) + 1, expiresAt: now + ttlMs });
        return true;
      }),
    appendShared: (key, item, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const list = liveList(key, now) ?? { items: [], expiresAt: 0 };
        list.items.push(item);
        list.expiresAt = now + ttlMs;
        lists.set(key, list);
        return list.items.length - 1;
      }),
    listShared: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const items = liveList(key, now)?.items ?? [];
        return { size: items.length, items: items.map((item, position) => ({ position, item })) };
      }),
  });
};
