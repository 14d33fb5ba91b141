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
