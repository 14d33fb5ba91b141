import type { OffboardingEvent } from "../domain/event.ts";
import { refNamesArtefact } from "../domain/receipt-refs.ts";
import type { CaseRecord, CaseTicket } from "../ports/ledger.ts";
import type { Receipt } from "../ports/sink.ts";
import {
  type CaseSettings,
  type CaseState,
  type CaseStep,
  DEFAULT_CASE_SETTINGS,
  ticketAfterFailure,
} from "./machine.ts";

/**
 * The bridge between the stored case record (the ledger's) and the pure state machine: what state a
 * record is in, and the record after a step. Pure.
 */

/** The ticket a record holds: the stored one, or (records written before the state machine) the Jira receipt. */
export const ticketOf = (record: CaseRecord | undefined, settings: CaseSettings = DEFAULT_CASE_SETTINGS) => {
  if (record === undefined) return undefined;
  if (record.ticket !== undefined) return record.ticket;
  const legacy = record.receipts.jira;
  if (legacy === undefined || !refNamesArtefact(legacy.ref)) return undefined;
  return {
    status: settings.ticketKinds.includes(record.lastKind) ? "open" : "closed",
    sink: legacy.sink,
    ref: legacy.ref,
    ...(legacy.url !== undefined && { url: legacy.url }),
    openedBy: record.openedBy,
  } satisfies CaseTicket;
};

/**
 * The machine state of a stored record at processing time `nowMs`. A head published beyond the
 * allowed clock skew (stored before this rule existed) is not trusted: the case is treated as having
 * no state yet, so one bogus date cannot silence the user's later events.
 */
export const caseStateOf = (
  record: CaseRecord | undefined,
  nowMs: number,
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): CaseState => {
  const ticket = ticketOf(record, settings)?.status ?? "none";
  if (record === undefined || record.lastEventId === undefined) return { ticket };
  if (record.lastPublished > nowMs + settings.maxClockSkewMs || record.lastPublished <= 0) return { ticket };
  return { head: { kind: record.lastKind, at: record.lastPublished, eventId: record.lastEventId }, ticket };
};

/** The receipt of the sink that carried out the step's ticket action, if one did. */
export const ticketReceipt = (step: CaseStep, receipts: ReadonlyMap<string, Receipt>): Receipt | undefined => {
  if (step.ticket === "none") return undefined;
  for (const r of receipts.values()) if (r.ticket === step.ticket) return r;
  return undefined;
};

/**
 * The record to store after `event` went through `step` and its sinks handed back `receipts`; undefined
 * when nothing changed. A state-moving event that is not a follow-up starts the case's thread anew
 * (its receipts become the case's, for later follow-ups to thread onto); a follow-up keeps them.
 */
export const nextCaseRecord = (
  existing: CaseRecord | undefined,
  event: OffboardingEvent,
  followUp: boolean,
  step: CaseStep,
  receipts: ReadonlyMap<string, Receipt>,
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): CaseRecord | undefined => {
  const done = ticketReceipt(step, receipts);
  const state = done !== undefined ? step.after : ticketAfterFailure(step);
  const before = ticketOf(existing, settings);
  const ticket: CaseTicket | undefined =
    done === undefined
      ? before
      : step.ticket === "open"
        ? {
            status: "open",
            sink: done.sink,
            ref: done.ref,
            ...(done.url !== undefined && { url: done.url }),
            openedBy: event.id,
          }
        : before !== undefined
          ? { ...before, status: state.ticket === "open" ? "open" : "closed" }
          : undefined;
  const ticketChanged = JSON.stringify(ticket) !== JSON.stringify(before);
  const sameOpener = existing !== undefined && existing.openedBy === event.id;
  if (!step.moved && !ticketChanged && !(sameOpener && receipts.size > 0)) return undefined;

  const head = state.head;
  const latest =
    head !== undefined
      ? { lastPublished: head.at, lastKind: head.kind, lastEventId: head.eventId }
      : // A case whose events so far are all unplaceable: no state yet (caseStateOf reads it as none).
        { lastPublished: 0, lastKind: event.kind };
  const withTicket = ticket !== undefined ? { ticket } : {};
  if (existing !== undefined && (sameOpener || !step.moved || followUp)) {
    const { ticket: _old, ...rest } = existing;
    return {
      ...rest,
      ...latest,
      ...(sameOpener && { receipts: { ...existing.receipts, ...Object.fromEntries(receipts) } }),
      ...withTicket,
    };
  }
  return {
    subjectId: event.subject.id,
    openedBy: event.id,
    openedKind: event.kind,
    ...latest,
    receipts: Object.fromEntries(receipts),
    ...withTicket,
  };
};
