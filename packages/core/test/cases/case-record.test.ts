import { describe, expect, it } from "vitest";
import {
  type CaseRecord,
  caseStateOf,
  nextCaseRecord,
  type OffboardingEvent,
  type Receipt,
  stepCase,
  ticketOf,
} from "../../src/index.ts";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const event = (id: string, kind: OffboardingEvent["kind"], occurredAt: string): OffboardingEvent => ({
  id,
  kind,
  eventType: `user.lifecycle.${kind}`,
  occurredAt,
  subject: { id: "00u1" },
  actor: { id: "00uadmin" },
  client: {},
});
const caseEvent = (e: OffboardingEvent) => ({ id: e.id, kind: e.kind, published: e.occurredAt });
const receipts = (...rs: ReadonlyArray<Receipt>) => new Map(rs.map((r) => [r.sink, r] as const));

describe("case records and the state machine", () => {
  it("stores the ticket a sink opened, and closes it when a reactivation's sink closed it", () => {
    const d = event("d", "deactivated", "2026-03-01T10:00:00.000Z");
    const s1 = stepCase(caseStateOf(undefined, NOW), caseEvent(d), NOW);
    const r1 = nextCaseRecord(undefined, d, false, s1, receipts({ sink: "jira", ref: "IT-1", ticket: "open" }));
    expect(r1?.ticket).toEqual({ status: "open", sink: "jira", ref: "IT-1", openedBy: "d" });

    const r = event("r", "reactivated", "2026-03-01T11:00:00.000Z");
    const s2 = stepCase(caseStateOf(r1, NOW), caseEvent(r), NOW);
    expect(s2.ticket).toBe("close");
    const r2 = nextCaseRecord(r1, r, true, s2, receipts({ sink: "jira", ref: "IT-1", ticket: "close" }));
    expect(r2).toMatchObject({ lastKind: "reactivated", openedBy: "d", ticket: { status: "closed", ref: "IT-1" } });
  });

  it("keeps the ticket as it was when no sink carried out the action", () => {
    const d = event("d", "deactivated", "2026-03-01T10:00:00.000Z");
    const s1 = stepCase(caseStateOf(undefined, NOW), caseEvent(d), NOW);
    const r1 = nextCaseRecord(undefined, d, false, s1, receipts({ sink: "slack", ref: "1.2" }));
    expect(r1?.ticket).toBeUndefined();
    // The next event of the user reconciles: the ticket is opened then.
    const x = event("x", "deleted", "2026-03-01T11:00:00.000Z");
    expect(stepCase(caseStateOf(r1, NOW), caseEvent(x), NOW).ticket).toBe("open");
  });

  it("saves nothing for an event older than the case's state", () => {
    const x = event("x", "deleted", "2026-03-01T11:00:00.000Z");
    const s1 = stepCase(caseStateOf(undefined, NOW), caseEvent(x), NOW);
    const r1 = nextCaseRecord(undefined, x, false, s1, receipts({ sink: "jira", ref: "IT-1", ticket: "open" }));
    const d = event("d", "deactivated", "2026-03-01T10:00:00.000Z");
    const s2 = stepCase(caseStateOf(r1, NOW), caseEvent(d), NOW);
    expect(s2).toMatchObject({ timeliness: "history", ticket: "none" });
    expect(nextCaseRecord(r1, d, false, s2, receipts({ sink: "slack", ref: "1.3" }))).toBeUndefined();
  });

  it("does not trust a stored state dated beyond the clock skew (written before the rule)", () => {
    const stored: CaseRecord = {
      subjectId: "00u1",
      openedBy: "u",
      openedKind: "unsuspended",
      lastPublished: Date.parse("2999-01-01T00:00:00.000Z"),
      lastKind: "unsuspended",
      lastEventId: "u",
      receipts: {},
    };
    expect(caseStateOf(stored, NOW)).toEqual({ ticket: "none" });
  });

  it("reads the Jira receipt of a record written before the state machine as its ticket", () => {
    const legacy: CaseRecord = {
      subjectId: "00u1",
      openedBy: "d",
      openedKind: "deactivated",
      lastPublished: Date.parse("2026-03-01T10:00:00.000Z"),
      lastKind: "deactivated",
      lastEventId: "d",
      receipts: { jira: { sink: "jira", ref: "IT-7", url: "https://x/browse/IT-7" } },
    };
    expect(ticketOf(legacy)).toEqual({
      status: "open",
      sink: "jira",
      ref: "IT-7",
      url: "https://x/browse/IT-7",
      openedBy: "d",
    });
    expect(ticketOf({ ...legacy, receipts: { jira: { sink: "jira", ref: "skipped" } } })).toBeUndefined();
  });
});
