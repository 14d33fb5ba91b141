import { DecodeError } from "../errors.ts";
import type { Provenance } from "../okta/decode.ts";
import type { LogEvent, OktaEntity } from "../okta/log-event.ts";
import type { RoutingPolicy } from "../policy/policy.ts";
import { catalogueEntry } from "./catalogue.ts";
import type { ClientInfo, OffboardingEvent, Person } from "./event.ts";

/** Why a valid event was deliberately left alone. */
export type IgnoreReason = "event-type-not-handled" | "outcome-not-success" | "actor-ignored" | "no-route";

/** Act on it: a user lifecycle change, normalised, with the sinks the policy sends it to. */
export interface Route {
  readonly _tag: "Route";
  readonly event: OffboardingEvent;
  /** Sink names from the policy, in delivery order. */
  readonly sinks: ReadonlyArray<string>;
  /** Whether the HR system should be asked. */
  readonly hrisCheck: boolean;
}
/** A valid event offboard deliberately does nothing with (acknowledged and counted), and why. */
export interface Ignore {
  readonly _tag: "Ignore";
  readonly reason: IgnoreReason;
  readonly detail: string;
}
/** Input offboard cannot trust or act on: kept with its reason (DLQ), never dropped. */
export interface Reject {
  readonly _tag: "Reject";
  readonly error: DecodeError;
}
/** Exactly one of these for every LogEvent. */
export type Decision = Route | Ignore | Reject;

const person = (e: OktaEntity | undefined): Person => {
  if (e === undefined) return { id: "unknown" };
  return {
    id: e.id ?? "unknown",
    ...(e.alternateId !== undefined && { login: e.alternateId }),
    ...(e.displayName !== undefined && { displayName: e.displayName }),
    ...(e.type !== undefined && { type: e.type }),
  };
};

const clientInfo = (ev: LogEvent): ClientInfo => {
  const c = ev.client;
  const ip = c?.ipAddress ?? ev.ipChain[0];
  const geoParts = [c?.city, c?.state, c?.country].filter((p): p is string => p !== undefined);
  return {
    ...(ip !== undefined && { ip }),
    ...(c?.userAgent !== undefined && { userAgent: c.userAgent }),
    ...(geoParts.length > 0 && { geo: geoParts.join(", ") }),
  };
};

/** Longest Okta uuid, user id or actor id accepted (Okta's are 20 to 36 characters). */
export const MAX_ID_LENGTH = 256;
/** Longest value accepted for any other field, in characters. */
export const MAX_FIELD_LENGTH = 65_536;

const tooLong = (name: string, value: string | undefined, max: number): string | undefined =>
  value !== undefined && value.length > max
    ? `${name} is ${value.length} characters long; at most ${max} are accepted`
    : undefined;

const entityTooLong = (name: string, e: OktaEntity | undefined): string | undefined =>
  e === undefined
    ? undefined
    : (tooLong(`${name}.id`, e.id, MAX_ID_LENGTH) ??
      tooLong(`${name}.alternateId`, e.alternateId, MAX_FIELD_LENGTH) ??
      tooLong(`${name}.displayName`, e.displayName, MAX_FIELD_LENGTH) ??
      tooLong(`${name}.type`, e.type, MAX_FIELD_LENGTH));

/**
 * The first field of a LogEvent over its documented limit, described; undefined when all fit. One
 * pass over the fields offboard reads: linear in the input, whatever its content.
 */
export const oversizedField = (ev: LogEvent): string | undefined => {
  const f = MAX_FIELD_LENGTH;
  let found =
    tooLong("eventType", ev.eventType, f) ??
    tooLong("uuid", ev.uuid, MAX_ID_LENGTH) ??
    tooLong("published", ev.published, f) ??
    tooLong("version", ev.version, f) ??
    tooLong("severity", ev.severity, f) ??
    tooLong("displayMessage", ev.displayMessage, f) ??
    tooLong("legacyEventType", ev.legacyEventType, f) ??
    entityTooLong("actor", ev.actor) ??
    tooLong("outcome.result", ev.outcome?.result, f) ??
    tooLong("outcome.reason", ev.outcome?.reason, f) ??
    tooLong("client.ipAddress", ev.client?.ipAddress, f) ??
    tooLong("client.userAgent", ev.client?.userAgent, f) ??
    tooLong("client.city", ev.client?.city, f) ??
    tooLong("client.state", ev.client?.state, f) ??
    tooLong("client.country", ev.client?.country, f) ??
    tooLong("client.zone", ev.client?.zone, f) ??
    tooLong("transaction.id", ev.transaction?.id, f) ??
    tooLong("transaction.type", ev.transaction?.type, f);
  for (let i = 0; found === undefined && i < ev.targets.length; i++)
    found = entityTooLong(`target[${i}]`, ev.targets[i]);
  for (let i = 0; found === undefined && i < ev.ipChain.length; i++) found = tooLong(`ipChain[${i}]`, ev.ipChain[i], f);
  return found;
};

/** The characters a regex `\s` matches. */
const isSpace = (c: number): boolean =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

/**
 * Whether a login looks like an email address worth asking the HR system about: one `@` with
 * something before it, a dot inside the part after it, no whitespace, at most 254 characters (the
 * longest address SMTP carries), and not Okta's `@deleted.invalid` placeholder. One pass, no regex.
 */
export const looksLikeEmail = (s: string | undefined): s is string => {
  if (s === undefined || s.length < 5 || s.length > 254) return false;
  let at = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) return false;
    if (c === 64) {
      if (at !== -1) return false;
      at = i;
    }
  }
  if (at < 1) return false;
  const dot = s.indexOf(".", at + 2);
  return dot !== -1 && dot < s.length - 1 && !s.endsWith("@deleted.invalid");
};

const actorIgnored = (actor: OktaEntity | undefined, policy: RoutingPolicy): boolean => {
  if (actor === undefined || policy.ignoreActors.length === 0) return false;
  const id = actor.id;
  const login = actor.alternateId?.toLowerCase();
  return policy.ignoreActors.some((a) => a === id || (login !== undefined && a.toLowerCase() === login));
};

/**
 * Normalises one LogEvent and decides what to do with it. Pure and total: the same input always
 * gives the same decision, and no input throws.
 */
export const decide = (ev: LogEvent, provenance: Provenance | undefined, policy: RoutingPolicy): Decision => {
  const entry = catalogueEntry(ev.eventType);
  if (entry === undefined) {
    return { _tag: "Ignore", reason: "event-type-not-handled", detail: `${ev.eventType} is not a handled event type` };
  }
  const oversized = oversizedField(ev);
  if (oversized !== undefined) {
    return {
      _tag: "Reject",
      error: new DecodeError({
        code: "field-too-long",
        message: `${ev.eventType} ${ev.uuid !== undefined && ev.uuid.length <= MAX_ID_LENGTH ? ev.uuid : "(uuid too long)"}: ${oversized}`,
      }),
    };
  }
  const result = ev.outcome?.result;
  if (policy.requiredOutcome !== null && result !== undefined && result !== policy.requiredOutcome) {
    return {
      _tag: "Ignore",
      reason: "outcome-not-success",
      detail: `outcome ${result} is not ${policy.requiredOutcome}`,
    };
  }
  if (actorIgnored(ev.actor, policy)) {
    return {
      _tag: "Ignore",
      reason: "actor-ignored",
      detail: `actor ${ev.actor?.alternateId ?? ev.actor?.id} is on the ignore list`,
    };
  }
  const target = ev.targets.find((t) => t.type === "User");
  if (target === undefined || target.id === undefined) {
    return {
      _tag: "Reject",
      error: new DecodeError({
        code: "no-user-target",
        message:
          target === undefined
            ? `${ev.eventType} ${ev.uuid ?? "(no uuid)"} has no User target`
            : `${ev.eventType} ${ev.uuid ?? "(no uuid)"} has a User target without an id`,
      }),
    };
  }
  if (ev.uuid === undefined) {
    return {
      _tag: "Reject",
      error: new DecodeError({
        code: "invalid-event",
        message: `${ev.eventType} for user ${target.id} has no uuid, so it cannot be delivered exactly once`,
      }),
    };
  }
  const sinks = policy.routes[entry.kind];
  if (sinks.length === 0) {
    return { _tag: "Ignore", reason: "no-route", detail: `the policy routes ${entry.kind} to no sink` };
  }
  const reason = ev.outcome?.reason;
  const transactionId = ev.transaction?.id;
  const oktaOrg = provenance?.oktaOrg;
  const event: OffboardingEvent = {
    id: ev.uuid,
    kind: entry.kind,
    eventType: ev.eventType,
    occurredAt: ev.published ?? "",
    subject: person(target),
    actor: person(ev.actor),
    ...(reason !== undefined && { reason }),
    client: clientInfo(ev),
    ...(transactionId !== undefined && transactionId !== "unknown" && { transactionId }),
    ...(oktaOrg !== undefined && { oktaOrg }),
  };
  return { _tag: "Route", event, sinks, hrisCheck: policy.hrisCheck.includes(entry.kind) };
};
