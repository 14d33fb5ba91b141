import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Option, Result } from "effect";
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
import type { LedgerError } from "./errors.ts";
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
import { type CaseRecord, type CaseTicket, type Claim, DeliveryLedger, type Settlement } from "./ports/ledger.ts";
import { type DeliveryContext, type Receipt, type Sink, Sinks, type Superseded } from "./ports/sink.ts";
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

/** Deliver one claimed sink for one event. Never fails: the outcome says it all. */
const deliverClaimed = Effect.fnUntraced(function* (
  sink: Sink,
  event: OffboardingEvent,
  context: DeliveryContext,
  sinkTimeoutMs: number,
): Effect.fn.Return<SinkOutcome> {
  const exit = yield* Effect.exit(sink.deliver(event, context).pipe(Effect.timeout(Duration.millis(sinkTimeoutMs))));
  if (Exit.isSuccess(exit)) return SinkOutcome.delivered(sink.name, exit.value);
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === "None") return SinkOutcome.crashed(sink.name, exit.cause);
  const e = failure.value;
  return e._tag === "SinkError" ? SinkOutcome.failed(e) : SinkOutcome.timedOut(sink.name, sinkTimeoutMs);
});

/**
 * Claims every sink of one event at once, delivers the claimed ones in the route's order, then records
 * their receipts and gives back the failed leases at once: two ledger writes per event, whatever the
 * number of sinks. Never fails: the outcomes say it all.
 */
const runSinks = Effect.fnUntraced(function* (
  names: ReadonlyArray<string>,
  event: OffboardingEvent,
  context: Omit<DeliveryContext, "idempotencyKey" | "receipts">,
): Effect.fn.Return<
  { readonly outcomes: Array<SinkOutcome>; readonly receipts: Map<string, Receipt> },
  never,
  Sinks | DeliveryLedger | PipelineConfig
> {
  const { byName } = yield* Sinks;
  const ledger = yield* DeliveryLedger;
  const { leaseMs, sinkTimeoutMs } = yield* PipelineConfig;
  const receipts = new Map<string, Receipt>();
  const active = names.filter((n) => byName.has(n));
  let claims: ReadonlyMap<string, Claim> | undefined;
  if (active.length > 0) {
    const claimed = yield* Effect.result(ledger.claimAll(event.id, active, leaseMs));
    if (claimed._tag === "Failure") {
      const down = claimed.failure;
      const outcomes = names.map((n) =>
        byName.has(n) ? SinkOutcome.ledgerUnavailable(n, down) : SinkOutcome.inactive(n),
      );
      return { outcomes, receipts };
    }
    claims = claimed.success;
  }
  const outcomes: Array<SinkOutcome> = [];
  const settlements: Array<Settlement> = [];
  for (const name of names) {
    const sink = byName.get(name);
    const c = claims?.get(name);
    if (sink === undefined || c === undefined) {
      outcomes.push(SinkOutcome.inactive(name));
      continue;
    }
    if (c._tag === "Completed") {
      receipts.set(name, c.receipt);
      outcomes.push(SinkOutcome.duplicate(name, c.receipt));
      continue;
    }
    if (c._tag === "Busy") {
      outcomes.push(SinkOutcome.busy(name, c.leaseUntil));
      continue;
    }
    const outcome = yield* deliverClaimed(
      sink,
      event,
      { ...context, receipts, idempotencyKey: `${event.id}:${name}`, coordination: ledger },
      sinkTimeoutMs,
    );
    if (outcome.status === "delivered" && outcome.receipt !== undefined) {
      receipts.set(name, outcome.receipt);
      settlements.push({ sink: name, token: c.token, receipt: outcome.receipt });
    } else settlements.push({ sink: name, token: c.token });
    outcomes.push(outcome);
  }
  if (settlements.length > 0) {
    // Retried only once it failed: building the retry schedule for every event costs more than the call.
    const settle = ledger.settle(event.id, settlements);
    const done = yield* Effect.result(Effect.catch(settle, () => settle.pipe(Effect.retry(completionRetry))));
    if (done._tag === "Failure") {
      for (let i = 0; i < outcomes.length; i++) {
        const o = outcomes[i]!;
        if (o.status === "delivered" && o.receipt !== undefined) {
          outcomes[i] = SinkOutcome.delivered(o.sink, o.receipt, done.failure);
        }
      }
    }
  }
  return { outcomes, receipts };
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
 * Keeps on the user's case a ticket this event's ticket sink opened (by this attempt, or by an earlier
 * one whose case update was lost to a concurrent writer), or one another invocation saved meanwhile.
 * The case is read again; when the user's latest state needs no ticket (a reactivation applied
 * meanwhile), the ticket is closed at once through the same sink, under its own ledger key.
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
  // another invocation opened and saved while this event ran. Reconciled on every event of the
  // user, retries included, so a close that failed once is tried again.
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
  // The user's state needs no ticket: close the one the case holds, under its own ledger key.
  const close: CaseStep = {
    timeliness: "current",
    before: state,
    after: { ...state, ticket: "closed" },
    ticket: "close",
    moved: false,
  };
  const closing = yield* runSinks(
    [ticket.sink],
    { ...event, id: `${event.id}#close` },
    {
      case: adopted,
      followUp: run.followUp,
      hris: run.hris,
      step: close,
    },
  );
  run.outcomes.push(...closing.outcomes);
  if (closing.receipts.get(ticket.sink)?.ticket !== "close") return adopted;
  const closed: CaseRecord = { ...adopted, ticket: { ...ticket, status: "closed" } };
  return closed;
});

/**
 * Delivers one routed event, given its subject's case as it stands (read once per batch, then carried
 * from event to event of the same user); returns the outcome and the case after it.
 */
const deliverRoute = Effect.fnUntraced(function* (
  d: Decided,
  existing: Result.Result<CaseRecord | undefined, LedgerError>,
) {
  const base = plainOutcome(d);
  if (d.decision._tag !== "Route") return { outcome: base, next: undefined };
  const { event, sinks, hrisCheck } = d.decision;
  const followUp = catalogueEntry(event.eventType)?.followUp ?? false;
  const ledger = yield* DeliveryLedger;
  const { maxClockSkewMs, ticketKinds } = yield* PipelineConfig;
  const settings: CaseSettings = { maxClockSkewMs, ticketKinds };

  if (existing._tag === "Failure") {
    const down = existing.failure;
    return { outcome: { ...base, sinks: sinks.map((s) => SinkOutcome.ledgerUnavailable(s, down)) }, next: undefined };
  }
  const current = existing.success;
  const now = yield* Clock.currentTimeMillis;
  const placed = stepCase(
    caseStateOf(current, now, settings),
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
  const { outcomes, receipts } = yield* runSinks(sinks, event, {
    case: current,
    followUp,
    hris,
    step,
    ...(superseded !== undefined && { supersededBy: superseded }),
  });
  const computed = nextCaseRecord(current, event, followUp, step, receipts, settings);
  // Another invocation may have moved this user's case while the sinks ran: keep the ticket, close it
  // when the latest state needs none.
  const next = yield* adoptTicket(computed, current, event, receipts, settings, { followUp, hris, outcomes });
  if (next !== undefined) {
    const put = yield* Effect.result(ledger.putCase(next));
    if (put._tag === "Failure") {
      yield* Effect.logWarning(`case record for ${event.subject.id} not saved: ${put.failure.message}`);
    }
  }
  const outcome: EventOutcome = {
    ...base,
    hris,
    sinks: outcomes,
    timeliness: step.timeliness,
    ...(superseded !== undefined && { supersededBy: superseded }),
  };
  return { outcome, next };
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
  for (const [subject, group] of groups) groups.set(subject, batchOrder(group));

  // Every case of the batch in one read (one BatchGetItem on DynamoDB); each user's events then carry
  // their case from one to the next.
  const ledger = yield* DeliveryLedger;
  const cases: Result.Result<ReadonlyMap<string, CaseRecord>, LedgerError> = groups.size > 0
    ? yield* Effect.result(ledger.getCases([...groups.keys()]))
    : Result.succeed(new Map());

  yield* Effect.forEach(
    groups,
    ([subject, group]) =>
      Effect.gen(function* () {
        let current: Result.Result<CaseRecord | undefined, LedgerError> = Result.map(cases, (m) => m.get(subject));
        for (const slot of group) {
          const { outcome, next } = yield* deliverRoute(slot.d, current);
          outcomes[slot.r]![slot.e] = outcome;
          if (next !== undefined) current = Result.succeed(next);
        }
      }),
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
