import type { LifecycleKind } from "../domain/catalogue.ts";

/**
 * The per-user case state machine. Pure: no effect, no clock, no I/O.
 *
 * A case's state is the lifecycle kind of its latest event, where "latest" is the greatest
 * (`published`, event id) pair among the events applied so far. Because the state is a maximum, it is
 * the same whatever order the events arrive in and however they are split into batches; an event
 * applied twice changes nothing the second time. Events that cannot be placed in time (a `published`
 * too far in the future of the processing time, or no usable `published` at all) never move the state.
 *
 * The ticket the case must end with is a function of that state alone: an open offboarding ticket
 * exactly when the state is one of the ticket kinds (by default deactivated and deleted), none
 * otherwise. Each step reconciles the ticket the case holds with the one its state asks for, so after
 * every step (and so after the last) the invariant holds whatever the arrival order was.
 */

/** The kinds whose final state needs an open offboarding ticket, unless configured otherwise. */
export const DEFAULT_TICKET_KINDS: ReadonlyArray<LifecycleKind> = ["deactivated", "deleted"];

/** How far in the future of the processing time an event's `published` may be, unless configured otherwise. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;

/** The event that set a case's state. */
export interface CaseHead {
  readonly kind: LifecycleKind;
  /** `published`, ms since the epoch. */
  readonly at: number;
  readonly eventId: string;
}

/** The ticket a case holds, as far as the case knows. */
export type TicketStatus = "none" | "open" | "closed";

export interface CaseState {
  /** The latest event applied; undefined before the first placeable event. */
  readonly head?: CaseHead;
  readonly ticket: TicketStatus;
}

export const EMPTY_CASE: CaseState = { ticket: "none" };

/** One lifecycle event as the machine sees it. */
export interface CaseEvent {
  readonly id: string;
  readonly kind: LifecycleKind;
  /** Okta's `published`, as sent. */
  readonly published: string;
}

/**
 * Where an event falls relative to the case:
 * - `current`: later than the case's state; it becomes the state;
 * - `repeat`: the very event that set the state (a redelivery);
 * - `history`: older than the case's state: shown as history, changes nothing;
 * - `future`: published more than the allowed clock skew after the processing time: delivered with
 *   a warning, never moves the state;
 * - `undated`: no usable `published`: delivered with a warning, never moves the state.
 */
export type Timeliness = "current" | "repeat" | "history" | "future" | "undated";

/** What the case's ticket needs after this event. */
export type TicketAction =
  /** Nothing to do. */
  | "none"
  /** The state needs a ticket and the case has none open: open one. */
  | "open"
  /** A later ticket-kind event on a case with an open ticket (a deletion after a deactivation): comment. */
  | "comment"
  /** The state needs no ticket but one is open (reactivated, unsuspended): comment and transition. */
  | "close";

export interface CaseSettings {
  readonly ticketKinds: ReadonlyArray<LifecycleKind>;
  readonly maxClockSkewMs: number;
}

export const DEFAULT_CASE_SETTINGS: CaseSettings = {
  ticketKinds: DEFAULT_TICKET_KINDS,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
};

export interface CaseStep {
  readonly timeliness: Timeliness;
  /** The state before this event (what a `history` event is older than). */
  readonly before: CaseState;
  /** The state after this event, with the ticket as it will be once `ticket` has been carried out. */
  readonly after: CaseState;
  readonly ticket: TicketAction;
  /** Whether the state (not only the ticket) changed: the case record must be saved. */
  readonly moved: boolean;
}

/** Milliseconds of an ISO-8601 `published`, or undefined when it is not a usable date. */
export const publishedAt = (published: string): number | undefined => {
  const ms = Date.parse(published);
  return Number.isFinite(ms) ? ms : undefined;
};

/** Total order of events within a case: by `published`, then by event id. */
const compareHead = (a: CaseHead, b: CaseHead): number =>
  a.at !== b.at ? a.at - b.at : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;

/** Whether a case in this state must hold an open offboarding ticket. */
export const needsTicket = (state: CaseState, settings: CaseSettings = DEFAULT_CASE_SETTINGS): boolean =>
  state.head !== undefined && settings.ticketKinds.includes(state.head.kind);

/** Places an event relative to a case, at processing time `nowMs`. */
export const timelinessOf = (
  state: CaseState,
  event: CaseEvent,
  nowMs: number,
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): Timeliness => {
  const at = publishedAt(event.published);
  if (at === undefined) return "undated";
  if (at > nowMs + settings.maxClockSkewMs) return "future";
  const head = state.head;
  if (head === undefined) return "current";
  if (head.eventId === event.id) return "repeat";
  return compareHead({ kind: event.kind, at, eventId: event.id }, head) > 0 ? "current" : "history";
};

/** The ticket action that brings a case's ticket in line with its state. */
const reconcile = (state: CaseState, timeliness: Timeliness, settings: CaseSettings): TicketAction => {
  if (needsTicket(state, settings)) {
    if (state.ticket !== "open") return "open";
    return timeliness === "current" ? "comment" : "none";
  }
  return state.ticket === "open" ? "close" : "none";
};

const ticketAfter = (ticket: TicketStatus, action: TicketAction): TicketStatus =>
  action === "open" ? "open" : action === "close" ? "closed" : ticket;

/**
 * Applies one event to a case at processing time `nowMs`. The returned `after` assumes the ticket
 * action succeeds; a caller whose ticket sink did not carry it out keeps `ticketAfterFailure`.
 */
export const stepCase = (
  state: CaseState,
  event: CaseEvent,
  nowMs: number,
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): CaseStep => {
  const timeliness = timelinessOf(state, event, nowMs, settings);
  const at = publishedAt(event.published);
  const moved = timeliness === "current" && at !== undefined;
  const placed: CaseState = moved ? { head: { kind: event.kind, at, eventId: event.id }, ticket: state.ticket } : state;
  const ticket = reconcile(placed, timeliness, settings);
  return { timeliness, before: state, after: { ...placed, ticket: ticketAfter(state.ticket, ticket) }, ticket, moved };
};

/** The state after the ticket action of `step` failed or was not carried out: the ticket as before. */
export const ticketAfterFailure = (step: CaseStep): CaseState => ({ ...step.after, ticket: step.before.ticket });

/**
 * The order a batch applies one user's events in: by `published` then id; events without a usable
 * date last (they never move the state, so their place does not matter to the outcome).
 */
export const batchOrder = <E extends Pick<CaseEvent, "id" | "published">>(events: ReadonlyArray<E>): Array<E> =>
  [...events].sort((a, b) => {
    const x = publishedAt(a.published) ?? Number.POSITIVE_INFINITY;
    const y = publishedAt(b.published) ?? Number.POSITIVE_INFINITY;
    return x !== y ? x - y : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });

/**
 * Whether Okta's current status of the user asks for an open ticket: true for deprovisioned or
 * deleted (when those kinds open tickets), false for active or suspended (unless suspended opens
 * tickets), undefined for a status that gives no opinion.
 */
export const statusNeedsTicket = (
  status: "active" | "suspended" | "deprovisioned" | "deleted" | "other",
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): boolean | undefined => {
  switch (status) {
    case "deprovisioned":
      return settings.ticketKinds.includes("deactivated");
    case "deleted":
      return settings.ticketKinds.includes("deleted");
    case "suspended":
      return settings.ticketKinds.includes("suspended");
    case "active":
      return false;
    case "other":
      return undefined;
  }
};

/**
 * The step once Okta's authoritative status is known: when Okta disagrees with the events about
 * whether the case needs a ticket, the ticket is not opened or closed now (the event that explains
 * Okta's status is still on its way, and will reconcile the case when it arrives). Returns the step
 * and whether they disagreed.
 */
export const withAuthoritativeStatus = (
  step: CaseStep,
  status: "active" | "suspended" | "deprovisioned" | "deleted" | "other",
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): { readonly step: CaseStep; readonly disagrees: boolean } => {
  const okta = statusNeedsTicket(status, settings);
  if (okta === undefined) return { step, disagrees: false };
  const wanted = needsTicket(step.after, settings);
  if (okta === wanted) return { step, disagrees: false };
  if (step.ticket !== "open" && step.ticket !== "close") return { step, disagrees: true };
  return { step: { ...step, ticket: "none", after: { ...step.after, ticket: step.before.ticket } }, disagrees: true };
};
