import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Option } from "effect";
import { caseStateOf, nextCaseRecord } from "./cases/case-record.ts";
import {
  batchOrder,
  type CaseSettings,
  type CaseStep,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_TICKET_KINDS,
  needsTicket,
  stepCase,
  withAuthoritativeStatus,
} from "./cases/machine.ts";
import { catalogueEntry, type LifecycleKind } from "./domain/catalogue.ts";
import { type Decision, decide, looksLikeEmail } from "./domain/decide.ts";
import type { OffboardingEvent } from "./domain/event.ts";
import { type HrisStatus, judgeHris } from "./domain/hris.ts";
import { refNamesArtefact } from "./domain/receipt-refs.ts";
import { type DecodeResult, decodeText, decodeValue, TRUST_ANY, type Trust } from "./okta/decode.ts";
import {
  completionRetry,
  type EventOutcome,
  type IgnoredOutcome,
  type RejectedOutcome,
  type RoutedOutcome,
  recordOutcome,
  SinkOutcome,
} from "./policy/error-policy.ts";
import { DEFAULT_POLICY, narrowRoutes, type RoutingPolicy } from "./policy/policy.ts";
import { HrisDirectory } from "./ports/hris.ts";
import { type CaseRecord, type CaseTicket, DeliveryLedger } from "./ports/ledger.ts";
import { type DeliveryContext, type Receipt, Sinks, type Superseded } from "./ports/sink.ts";
import { OktaUserStatus } from "./ports/user-status.ts";

/** Pipeline settings. Defaults suit a Lambda with a 30 s timeout. */
export interface PipelineSettings {
  readonly policy: RoutingPolicy;
  /** How long a claim on (event, sink) lasts before another attempt may take over. */
  readonly leaseMs: number;
  /** How many different users are processed at once within a batch. */
  readonly concurrency: number;
  /** How long the HR cross-check may take before the alert says "HRIS: unavailable". */
  readonly hrisTimeoutMs: number;
  /** How long one sink attempt may take before it counts as a transient failure. */
  readonly sinkTimeoutMs: number;
  /** Which delivery shapes are trusted: every shape (CLI), or EventBridge envelopes only (the queue worker). */
  readonly trust: Trust;
  /** How far in the future of the processing time an event's `published` may be and still move its case. */
  readonly maxClockSkewMs: number;
  /** The kinds whose final state needs an open offboarding ticket (JIRA_KINDS). */
  readonly ticketKinds: ReadonlyArray<LifecycleKind>;
}

/**
 * The pipeline settings `PipelineConfig.layer()` starts from: the default policy, a 2 min lease, 8 users at once,
 * 2.5 s HRIS and 10 s sink timeouts.
 */
export const DEFAULT_SETTINGS: PipelineSettings = {
  policy: DEFAULT_POLICY,
  leaseMs: 120_000,
  concurrency: 8,
  hrisTimeoutMs: 2_500,
  sinkTimeoutMs: 10_000,
  trust: TRUST_ANY,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
  ticketKinds: DEFAULT_TICKET_KINDS,
};

/** The pipeline's settings as a service; `PipelineConfig.layer(partial)` merges onto `DEFAULT_SETTINGS`. */
export class PipelineConfig extends Context.Service<PipelineConfig, PipelineSettings>()("offboard/PipelineConfig") {
  static readonly layer = (settings: Partial<PipelineSettings> = {}) =>
    Layer.succeed(PipelineConfig, { ...DEFAULT_SETTINGS, ...settings });
}

/** One SQS message (or one file, one HTTP body): an id and its body as text or already parsed. */
export interface InputRecord {
  readonly id: string;
  readonly body: string | unknown;
}

/** One decoded LogEvent (or undecodable part) with its decision. Pure: no sink has run. */
export interface Decided {
  readonly result: DecodeResult;
  readonly decision: Decision;
}

/** Decodes a body (text or parsed) and decides every event in it. Pure and total. */
export const decideBody = (
  body: string | unknown,
  policy: RoutingPolicy,
  trust: Trust = TRUST_ANY,
): ReadonlyArray<Decided> => {
  const results = typeof body === "string" ? decodeText(body, trust) : decodeValue(body, trust);
  return results.map((result) => ({
    result,
    decision:
      result._tag === "Undecodable"
        ? { _tag: "Reject", error: result.error }
        : decide(result.event, result.provenance, policy),
  }));
};

/** The Okta fields every outcome echoes, filled in place (conditional spreads are markedly slower on V8 here). */
const echo = (
  o: { uuid?: string; eventType?: string; published?: string },
  ev:
    | { readonly uuid?: string | undefined; readonly eventType: string; readonly published?: string | undefined }
    | undefined,
): void => {
  if (ev === undefined) return;
  if (ev.uuid !== undefined) o.uuid = ev.uuid;
  o.eventType = ev.eventType;
  if (ev.published !== undefined) o.published = ev.published;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The outcome of an event before any sink ran: final for ignored and rejected events. */
const plainOutcome = (d: Decided): EventOutcome => {
  const ev = d.result._tag === "Decoded" ? d.result.event : undefined;
  switch (d.decision._tag) {
    case "Ignore": {
      const o: Mutable<IgnoredOutcome> = { decision: "ignore", reason: d.decision.reason, sinks: [] };
      echo(o, ev);
      o.message = d.decision.detail;
      return o;
    }
    case "Reject": {
      const o: Mutable<RejectedOutcome> = { decision: "reject", reason: d.decision.error.code, sinks: [] };
      echo(o, ev);
      o.message = d.decision.error.message;
      return o;
    }
    case "Route": {
      const o: Mutable<RoutedOutcome> = { decision: "route", sinks: [] };
      echo(o, ev);
      o.kind = d.decision.event.kind;
      o.subject = d.decision.event.subject;
      o.actor = d.decision.event.actor;
      return o;
    }
  }
};

const notChecked = (why: string): HrisStatus => ({ _tag: "NotChecked", why });

const checkHris = Effect.fnUntraced(function* (
  event: OffboardingEvent,
  wanted: boolean,
): Effect.fn.Return<HrisStatus, never, HrisDirectory | PipelineConfig> {
  if (!wanted) return notChecked("not asked for this kind");
  const hris = yield* HrisDirectory;
  if (!hris.configured) return notChecked("no HRIS configured");
  const email = event.subject.login;
  if (!looksLikeEmail(email)) return notChecked("login is not an email");
  const { hrisTimeoutMs } = yield* PipelineConfig;
  const found = yield* hris.findByEmail(email).pipe(
    Effect.timeout(Duration.millis(hrisTimeoutMs)),
    Effect.map((employee) => ({ ok: true as const, employee })),
    Effect.catch((e) =>
      Effect.succeed({
        ok: false as const,
        message: e._tag === "HrisError" ? e.message : `no answer within ${hrisTimeoutMs} ms`,
      }),
    ),
  );
  if (!found.ok) return { _tag: "Unavailable", message: found.message } satisfies HrisStatus;
  if (found.employee === undefined) return { _tag: "NotFound", email } satisfies HrisStatus;
  const today = new Date(yield* Clock.currentTimeMillis).toISOString().slice(0, 10);
  return judgeHris(event.kind, found.employee, today);
});

/** Claim, deliver, complete (or release) one sink for one event. Never fails: the outcome says it all. */
const runSink = Effect.fnUntraced(function* (
  name: string,
  event: OffboardingEvent,
  context: Omit<DeliveryContext, "idempotencyKey">,
  /** The ledger key of this delivery: the event's uuid, or a derived key for a second action of one event. */
  claimId: string = event.id,
): Effect.fn.Return<SinkOutcome, never, Sinks | DeliveryLedger | PipelineConfig> {
  const { byName } = yield* Sinks;
  const sink = byName.get(name);
  if (sink === undefined) return SinkOutcome.inactive(name);
  const ledger = yield* DeliveryLedger;
  const { leaseMs, sinkTimeoutMs } = yield* PipelineConfig;

  const claim = yield* Effect.result(ledger.claim(claimId, name, leaseMs));
  if (claim._tag === "Failure") return SinkOutcome.ledgerUnavailable(name, claim.failure);
  const c = claim.success;
  if (c._tag === "Completed") return SinkOutcome.duplicate(name, c.receipt);
  if (c._tag === "Busy") return SinkOutcome.busy(name, c.leaseUntil);

  const exit = yield* Effect.exit(
    sink
      .deliver(event, { ...context, idempotencyKey: `${claimId}:${name}` })
      .pipe(Effect.timeout(Duration.millis(sinkTimeoutMs))),
  );
  if (Exit.isSuccess(exit)) {
    const receipt = exit.value;
    const done = yield* Effect.result(
      ledger.complete(claimId, name, c.token, receipt).pipe(Effect.retry(completionRetry)),
    );
    return SinkOutcome.delivered(name, receipt, done._tag === "Failure" ? done.failure : undefined);
  }
  yield* Effect.ignore(ledger.release(claimId, name, c.token));
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === "None") return SinkOutcome.crashed(name, exit.cause);
  const e = failure.value;
  return e._tag === "SinkError" ? SinkOutcome.failed(e) : SinkOutcome.timedOut(name, sinkTimeoutMs);
});

/** The later event a `history` event arrived behind. */
const supersededBy = (step: CaseStep): Superseded | undefined => {
  const head = step.before.head;
  if (step.timeliness !== "history" || head === undefined) return undefined;
  return { kind: head.kind, eventId: head.eventId, occurredAt: new Date(head.at).toISOString() };
};

/**
 * Okta's current status of the user, read before a ticket is opened or closed when Okta read access is
 * configured: when it disagrees with the events, the ticket waits for the event that explains it.
 */
const checkAuthoritative = Effect.fnUntraced(function* (
  step: CaseStep,
  event: OffboardingEvent,
  settings: CaseSettings,
) {
  if (step.ticket !== "open" && step.ticket !== "close") return step;
  const okta = yield* Effect.serviceOption(OktaUserStatus);
  if (Option.isNone(okta) || !okta.value.configured) return step;
  const status = yield* Effect.result(okta.value.current(event.subject.id));
  if (status._tag === "Failure") {
    yield* Effect.logWarning(
      `Okta user status of ${event.subject.id} unavailable (${status.failure.message}); the events decide`,
    );
    return step;
  }
  const checked = withAuthoritativeStatus(step, status.success, settings);
  if (checked.disagrees) {
    yield* Effect.logWarning(
      `Okta says user ${event.subject.id} is ${status.success} but the events say ${step.after.head?.kind ?? "nothing yet"}; ` +
        `ticket action ${step.ticket} held back until the events agree`,
    );
  }
  return checked.step;
});

/** The later of two case records by (`lastPublished`, `lastEventId`): the one whose state wins. */
const laterCase = (a: CaseRecord | undefined, b: CaseRecord | undefined): CaseRecord | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.lastPublished !== b.lastPublished) return a.lastPublished > b.lastPublished ? a : b;
  return (a.lastEventId ?? "") >= (b.lastEventId ?? "") ? a : b;
};

/**
 * Keeps a ticket this event's ticket sink opened (by this attempt, or by an earlier one whose case
 * update was lost to a concurrent writer) on the user's case. The case is read again; when the
 * user's latest state needs no ticket (a reactivation applied meanwhile), the ticket is closed at once
 * through the same sink, under its own ledger key, so it cannot stay open for a user who is active.
 */
const adoptTicket = Effect.fnUntraced(function* (
  computed: CaseRecord | undefined,
  existing: CaseRecord | undefined,
  event: OffboardingEvent,
  receipts: ReadonlyMap<string, Receipt>,
  settings: CaseSettings,
  run: { readonly followUp: boolean; readonly hris: HrisStatus; readonly outcomes: Array<SinkOutcome> },
) {
  const opened = [...receipts.values()].find((r) => r.ticket === "open" && refNamesArtefact(r.ref));
  const ledger = yield* DeliveryLedger;
  const read = yield* Effect.result(ledger.getCase(event.subject.id));
  const fresh = read._tag === "Success" ? read.success : undefined;
  const latest = laterCase(computed ?? existing, fresh);
  if (latest === undefined) return computed;
  // The ticket the case must hold: the one this event opened, the open one the case holds, or one
  // another invocation opened and saved while this event ran (this event's record, built from an
  // older read, does not know it). Reconciled on every event of the user, retries included, so a
  // close that failed once is tried again.
  const ticket: CaseTicket | undefined =
    opened !== undefined
      ? latest.ticket?.ref === opened.ref
        ? latest.ticket
        : {
            status: "open",
            sink: opened.sink,
            ref: opened.ref,
            ...(opened.url !== undefined && { url: opened.url }),
            openedBy: event.id,
          }
      : latest.ticket?.status === "open"
        ? latest.ticket
        : fresh?.ticket?.status === "open" && latest.ticket?.ref !== fresh.ticket.ref
          ? fresh.ticket
          : undefined;
  if (ticket === undefined) return computed;
  const held = latest.ticket?.ref === ticket.ref ? latest.ticket : undefined;
  const adopted: CaseRecord = held !== undefined ? latest : { ...latest, ticket };
  const now = yield* Clock.currentTimeMillis;
  const state = caseStateOf(adopted, now, settings);
  if (ticket.status === "closed" || needsTicket(state, settings)) {
    if (held === undefined) return adopted;
    return latest === computed ? computed : undefined;
  }
  // The user's state needs no ticket: close the one the case holds.
  const close: CaseStep = {
    timeliness: "current",
    before: state,
    after: { ...state, ticket: "closed" },
    ticket: "close",
    moved: false,
  };
  const outcome = yield* runSink(
    ticket.sink,
    event,
    { case: adopted, followUp: run.followUp, hris: run.hris, receipts, step: close },
    `${event.id}#close`,
  );
  run.outcomes.push(outcome);
  if (outcome.receipt?.ticket !== "close") return adopted;
  const closed: CaseRecord = { ...adopted, ticket: { ...ticket, status: "closed" } };
  return closed;
});

const deliverRoute = Effect.fnUntraced(function* (d: Decided) {
  const base = plainOutcome(d);
  if (d.decision._tag !== "Route") return base;
  const { event, sinks, hrisCheck } = d.decision;
  const followUp = catalogueEntry(event.eventType)?.followUp ?? false;
  const ledger = yield* DeliveryLedger;
  const { maxClockSkewMs, ticketKinds } = yield* PipelineConfig;
  const settings: CaseSettings = { maxClockSkewMs, ticketKinds };

  const existing = yield* Effect.result(ledger.getCase(event.subject.id));
  if (existing._tag === "Failure") {
    return { ...base, sinks: sinks.map((s) => SinkOutcome.ledgerUnavailable(s, existing.failure)) };
  }
  const now = yield* Clock.currentTimeMillis;
  const placed = stepCase(
    caseStateOf(existing.success, now, settings),
    { id: event.id, kind: event.kind, published: event.occurredAt },
    now,
    settings,
  );
  if (placed.timeliness === "future" || placed.timeliness === "undated") {
    yield* Effect.logWarning(
      // Okta's date as sent, quoted and clipped: it is input, not ours.
      `event ${event.id} (${event.kind} of ${event.subject.id}) is published ${JSON.stringify(event.occurredAt.slice(0, 64))}, ` +
        (placed.timeliness === "future"
          ? `more than ${Math.round(maxClockSkewMs / 1000)} s after now`
          : "which is not a date") +
        ": delivered with a warning; it does not change the user's case",
    );
  }
  const step = yield* checkAuthoritative(placed, event, settings);
  const hris = yield* checkHris(event, hrisCheck);
  const superseded = supersededBy(step);
  const receipts = new Map<string, Receipt>();
  const outcomes: Array<SinkOutcome> = [];
  for (const name of sinks) {
    const outcome = yield* runSink(name, event, {
      case: existing.success,
      followUp,
      hris,
      receipts,
      step,
      ...(superseded !== undefined && { supersededBy: superseded }),
    });
    if (outcome.receipt !== undefined) receipts.set(name, outcome.receipt);
    outcomes.push(outcome);
  }
  const computed = nextCaseRecord(existing.success, event, followUp, step, receipts, settings);
  // Another invocation may have moved this user's case while the sinks ran (or before a redelivery of
  // this event): a ticket this event opened must not be lost from the case, nor stay open when the
  // user's latest state needs none.
  const next = yield* adoptTicket(computed, existing.success, event, receipts, settings, {
    followUp,
    hris,
    outcomes,
  });
  if (next !== undefined) {
    const put = yield* Effect.result(ledger.putCase(next));
    if (put._tag === "Failure") {
      yield* Effect.logWarning(`case record for ${event.subject.id} not saved: ${put.failure.message}`);
    }
  }
  return {
    ...base,
    hris,
    sinks: outcomes,
    timeliness: step.timeliness,
    ...(superseded !== undefined && { supersededBy: superseded }),
  };
});

/**
 * Runs a batch: decode and decide every record, then deliver. Records of one user run in `published`
 * order; different users run concurrently (bounded by `concurrency`). Returns one outcome per input
 * record, in input order. Never fails: every problem is in the outcomes.
 */
export const processBatch = Effect.fn("pipeline.processBatch")(function* (records: ReadonlyArray<InputRecord>) {
  const { policy: configured, concurrency, trust } = yield* PipelineConfig;
  // Without a policy of its own (the defaults, untouched), a pipeline routes only to the sinks it has;
  // a policy given explicitly is used as written, so a route naming a missing sink is sink-inactive.
  const { byName } = yield* Sinks;
  const policy = configured === DEFAULT_POLICY ? narrowRoutes(configured, [...byName.keys()]) : configured;
  const decided = records.map((r) => decideBody(r.body, policy, trust));

  // Slots of routed events, grouped by subject and ordered by published.
  const outcomes: Array<Array<EventOutcome | undefined>> = decided.map((ds) => ds.map(() => undefined));
  const groups = new Map<string, Array<{ r: number; e: number; d: Decided; id: string; published: string }>>();
  decided.forEach((ds, r) => {
    ds.forEach((d, e) => {
      if (d.decision._tag !== "Route") {
        outcomes[r]![e] = plainOutcome(d);
        return;
      }
      const subject = d.decision.event.subject.id;
      let group = groups.get(subject);
      if (group === undefined) {
        group = [];
        groups.set(subject, group);
      }
      group.push({ r, e, d, id: d.decision.event.id, published: d.decision.event.occurredAt });
    });
  });
  // Each user's events in (published, id) order, undated ones last: the case machine's order.
  const ordered = [...groups.values()].map((group) => batchOrder(group));

  yield* Effect.forEach(
    ordered,
    (group) =>
      Effect.forEach(
        group,
        (slot) =>
          Effect.map(deliverRoute(slot.d), (o) => {
            outcomes[slot.r]![slot.e] = o;
          }),
        { discard: true },
      ),
    { concurrency, discard: true },
  );

  return records.map((rec, r) =>
    recordOutcome(
      rec.id,
      outcomes[r]!.filter((o) => o !== undefined),
    ),
  );
});

/** Runs one record through the pipeline. */
export const processRecord = (record: InputRecord) => Effect.map(processBatch([record]), (outcomes) => outcomes[0]!);

/** Everything the pipeline needs, for type signatures. */
export type PipelineServices = Sinks | DeliveryLedger | HrisDirectory | PipelineConfig;
