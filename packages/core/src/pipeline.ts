import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Schedule } from "effect";
import { catalogueEntry } from "./domain/catalogue.ts";
import { type Decision, decide } from "./domain/decide.ts";
import { type OffboardingEvent, publishedMillis } from "./domain/event.ts";
import { type HrisStatus, judgeHris } from "./domain/hris.ts";
import type { LedgerError } from "./errors.ts";
import { type DecodeResult, decodeText, decodeValue, TRUST_ANY, type Trust } from "./okta/decode.ts";
import { type EventOutcome, recordOutcome, type SinkOutcome, sinkFailure } from "./policy/error-policy.ts";
import { DEFAULT_POLICY, type RoutingPolicy } from "./policy/policy.ts";
import { HrisDirectory } from "./ports/hris.ts";
import { type CaseRecord, DeliveryLedger } from "./ports/ledger.ts";
import { type DeliveryContext, type Receipt, Sinks, type Superseded } from "./ports/sink.ts";

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
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  policy: DEFAULT_POLICY,
  leaseMs: 120_000,
  concurrency: 8,
  hrisTimeoutMs: 2_500,
  sinkTimeoutMs: 10_000,
};

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

/** The outcome of an event that reached no sink (ignored or rejected), for reports. */
const plainOutcome = (d: Decided): EventOutcome => {
  const ev = d.result._tag === "Decoded" ? d.result.event : undefined;
  // Filled field by field: conditional spreads are markedly slower on V8 in this hot path.
  const o: { -readonly [K in keyof EventOutcome]: EventOutcome[K] } = { decision: "route", sinks: [] };
  if (ev?.uuid !== undefined) o.uuid = ev.uuid;
  if (ev?.eventType !== undefined) o.eventType = ev.eventType;
  if (ev?.published !== undefined) o.published = ev.published;
  switch (d.decision._tag) {
    case "Ignore":
      o.decision = "ignore";
      o.reason = d.decision.reason;
      o.message = d.decision.detail;
      break;
    case "Reject":
      o.decision = "reject";
      o.reason = d.decision.error.code;
      o.message = d.decision.error.message;
      break;
    case "Route":
      o.kind = d.decision.event.kind;
      o.subject = d.decision.event.subject;
      o.actor = d.decision.event.actor;
      break;
  }
  return o;
};

const looksLikeEmail = (s: string | undefined): s is string =>
  s !== undefined && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s) && !s.endsWith("@deleted.invalid");

const checkHris = Effect.fnUntraced(function* (event: OffboardingEvent, wanted: boolean) {
  if (!wanted) return { _tag: "NotChecked", why: "not asked for this kind" } satisfies HrisStatus as HrisStatus;
  const hris = yield* HrisDirectory;
  if (!hris.configured) return { _tag: "NotChecked", why: "no HRIS configured" } as HrisStatus;
  const email = event.subject.login;
  if (!looksLikeEmail(email)) return { _tag: "NotChecked", why: "login is not an email" } as HrisStatus;
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
  if (!found.ok) return { _tag: "Unavailable", message: found.message } as HrisStatus;
  if (found.employee === undefined) return { _tag: "NotFound", email } as HrisStatus;
  const today = new Date(yield* Clock.currentTimeMillis).toISOString().slice(0, 10);
  return judgeHris(event.kind, found.employee, today);
});

const ledgerDown = (sink: string, e: LedgerError): SinkOutcome => ({
  sink,
  status: "failed",
  retryable: true,
  message: `ledger unavailable: ${e.message}`,
  code: "ledger",
});

/** Claim, deliver, complete (or release) one sink for one event. Never fails: the outcome says it all. */
const runSink = Effect.fnUntraced(function* (
  name: string,
  event: OffboardingEvent,
  context: Omit<DeliveryContext, "idempotencyKey">,
) {
  const { byName } = yield* Sinks;
  const sink = byName.get(name);
  if (sink === undefined) return { sink: name, status: "inactive" } as SinkOutcome;
  const ledger = yield* DeliveryLedger;
  const { leaseMs, sinkTimeoutMs } = yield* PipelineConfig;

  const claim = yield* Effect.result(ledger.claim(event.id, name, leaseMs));
  if (claim._tag === "Failure") return ledgerDown(name, claim.failure);
  const c = claim.success;
  if (c._tag === "Completed") return { sink: name, status: "duplicate", receipt: c.receipt } as SinkOutcome;
  if (c._tag === "Busy") {
    return {
      sink: name,
      status: "busy",
      retryable: true,
      message: `another attempt holds the lease until ${new Date(c.leaseUntil).toISOString()}`,
    } as SinkOutcome;
  }

  const exit = yield* Effect.exit(
    sink
      .deliver(event, { ...context, idempotencyKey: `${event.id}:${name}` })
      .pipe(Effect.timeout(Duration.millis(sinkTimeoutMs))),
  );
  if (Exit.isSuccess(exit)) {
    const receipt = exit.value;
    // Retry the bookkeeping a few times: a delivery the ledger forgets could be repeated later.
    const done = yield* Effect.result(
      ledger
        .complete(event.id, name, c.token, receipt)
        .pipe(Effect.retry({ schedule: Schedule.exponential(Duration.millis(50)), times: 3 })),
    );
    return {
      sink: name,
      status: "delivered",
      receipt,
      ...(done._tag === "Failure" && { message: `delivered, but the ledger was not updated: ${done.failure.message}` }),
    } as SinkOutcome;
  }
  yield* Effect.ignore(ledger.release(event.id, name, c.token));
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === "Some") {
    const e = failure.value;
    if (e._tag === "SinkError") return sinkFailure(e);
    return {
      sink: name,
      status: "failed",
      retryable: true,
      message: `timed out after ${sinkTimeoutMs} ms`,
      code: "timeout",
    } as SinkOutcome;
  }
  return {
    sink: name,
    status: "failed",
    retryable: true,
    message: `sink crashed: ${Cause.pretty(exit.cause).split("\n")[0]}`,
    code: "defect",
  } as SinkOutcome;
});

/**
 * The case after this event. A non-follow-up opens a case (or adds receipts to the one it opened); a
 * follow-up moves its state and keeps its receipts (or, with no case, opens one so that an older event
 * arriving later is recognised as superseded). An event older than the case's latest changes nothing.
 */
const nextCase = (
  existing: CaseRecord | undefined,
  event: OffboardingEvent,
  followUp: boolean,
  receipts: ReadonlyMap<string, Receipt>,
): CaseRecord | undefined => {
  const published = publishedMillis(event.occurredAt);
  const fresh = Number.isFinite(published) ? published : 0;
  if (existing !== undefined && existing.openedBy === event.id) {
    return { ...existing, receipts: { ...existing.receipts, ...Object.fromEntries(receipts) } };
  }
  if (existing !== undefined && fresh < existing.lastPublished) return undefined;
  const latest = { lastPublished: fresh, lastKind: event.kind, lastEventId: event.id };
  if (followUp && existing !== undefined) return { ...existing, ...latest };
  return {
    subjectId: event.subject.id,
    openedBy: event.id,
    openedKind: event.kind,
    ...latest,
    receipts: Object.fromEntries(receipts),
  };
};

/** When the case already holds a later event than this one, that later event. */
const supersededBy = (existing: CaseRecord | undefined, event: OffboardingEvent): Superseded | undefined => {
  if (existing === undefined || existing.lastEventId === event.id) return undefined;
  const published = publishedMillis(event.occurredAt);
  if (!Number.isFinite(published) || published >= existing.lastPublished) return undefined;
  return {
    kind: existing.lastKind,
    ...(existing.lastEventId !== undefined && { eventId: existing.lastEventId }),
    occurredAt: new Date(existing.lastPublished).toISOString(),
  };
};

const deliverRoute = Effect.fnUntraced(function* (d: Decided) {
  const base = plainOutcome(d);
  if (d.decision._tag !== "Route") return base;
  const { event, sinks, hrisCheck } = d.decision;
  const followUp = catalogueEntry(event.eventType)?.followUp ?? false;
  const ledger = yield* DeliveryLedger;

  const existing = yield* Effect.result(ledger.getCase(event.subject.id));
  if (existing._tag === "Failure") {
    return { ...base, sinks: sinks.map((s) => ledgerDown(s, existing.failure)) };
  }
  const hris = yield* checkHris(event, hrisCheck);
  const superseded = supersededBy(existing.success, event);
  const receipts = new Map<string, Receipt>();
  const outcomes: Array<SinkOutcome> = [];
  for (const name of sinks) {
    const outcome = yield* runSink(name, event, {
      case: existing.success,
      followUp,
      hris,
      receipts,
      ...(superseded !== undefined && { supersededBy: superseded }),
    });
    if (outcome.receipt !== undefined) receipts.set(name, outcome.receipt);
    outcomes.push(outcome);
  }
  const next = nextCase(existing.success, event, followUp, receipts);
  if (next !== undefined) {
    const put = yield* Effect.result(ledger.putCase(next));
    if (put._tag === "Failure") {
      yield* Effect.logWarning(`case record for ${event.subject.id} not saved: ${put.failure.message}`);
    }
  }
  return { ...base, hris, sinks: outcomes, ...(superseded !== undefined && { supersededBy: superseded }) };
});

/**
 * Runs a batch: decode and decide every record, then deliver. Records of one user run in `published`
 * order; different users run concurrently (bounded by `concurrency`). Returns one outcome per input
 * record, in input order. Never fails: every problem is in the outcomes.
 */
export const processBatch = Effect.fn("pipeline.processBatch")(function* (records: ReadonlyArray<InputRecord>) {
  const { policy, concurrency } = yield* PipelineConfig;
  const decided = records.map((r) => decideBody(r.body, policy));

  // Slots of routed events, grouped by subject and ordered by published.
  const outcomes: Array<Array<EventOutcome | undefined>> = decided.map((ds) => ds.map(() => undefined));
  const groups = new Map<string, Array<{ r: number; e: number; d: Decided; at: number }>>();
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
      group.push({ r, e, d, at: publishedMillis(d.decision.event.occurredAt) });
    });
  });
  for (const group of groups.values()) group.sort((a, b) => a.at - b.at);

  yield* Effect.forEach(
    groups.values(),
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
