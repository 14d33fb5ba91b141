import { Cause } from "effect";
import { describe, expect, it } from "vitest";
import { LedgerError, SinkError } from "../src/errors.ts";
import { type EventOutcome, recordOutcome, SinkOutcome } from "../src/policy/error-policy.ts";

const routed = (...sinks: ReadonlyArray<SinkOutcome>): EventOutcome => ({ decision: "route", uuid: "ev-1", sinks });
const receipt = { sink: "slack", ref: "1.2" };

describe("the error policy", () => {
  it.each([
    ["ledger unavailable", SinkOutcome.ledgerUnavailable("slack", new LedgerError({ message: "throttled" }))],
    ["busy", SinkOutcome.busy("slack", Date.parse("2026-11-03T09:00:00Z"))],
    ["timed out", SinkOutcome.timedOut("slack", 10_000)],
    ["crashed", SinkOutcome.crashed("slack", Cause.die(new Error("boom")))],
    [
      "a transient vendor failure",
      SinkOutcome.failed(new SinkError({ sink: "slack", failure: "transient", message: "503" })),
    ],
  ])("retries the record later when a sink ends %s", (_, outcome) => {
    const record = recordOutcome("m1", [routed(SinkOutcome.delivered("jira", receipt), outcome)]);

    expect(record.status).toBe("retry-later");
    expect(record.reason).toContain("slack for ev-1");
  });

  it("dead-letters the record as sink-permanent when a sink fails permanently", () => {
    const permanent = SinkOutcome.failed(
      new SinkError({ sink: "slack", failure: "permanent", message: "channel_not_found", code: "channel_not_found" }),
    );

    const record = recordOutcome("m1", [routed(permanent)]);

    expect([record.status, record.reasonCode]).toEqual(["rejected", "sink-permanent"]);
  });

  it("acknowledges a record whose sinks delivered, were duplicates, skipped or superseded", () => {
    const record = recordOutcome("m1", [
      routed(
        SinkOutcome.delivered("slack", receipt),
        SinkOutcome.duplicate("jira", receipt),
        SinkOutcome.delivered("x", { ...receipt, noop: "skipped" }),
        SinkOutcome.delivered("y", { ...receipt, noop: "superseded" }),
      ),
    ]);

    expect(record.status).toBe("delivered");
    expect(record.events[0]?.sinks.map((s) => s.status)).toEqual(["delivered", "duplicate", "skipped", "superseded"]);
  });

  it("retries a record routed to a sink that is not configured, naming it (sink-inactive)", () => {
    const record = recordOutcome("m1", [routed(SinkOutcome.delivered("slack", receipt), SinkOutcome.inactive("jira"))]);

    expect(record.status).toBe("retry-later");
    expect(record.reason).toContain("jira");
    expect(record.reason).toContain("not configured");
  });

  it("keeps a delivery the ledger could not record as delivered, and says so", () => {
    const outcome = SinkOutcome.delivered("slack", receipt, new LedgerError({ message: "throttled" }));

    expect(outcome.status).toBe("delivered");
    expect(outcome.message).toBe("delivered, but the ledger was not updated: throttled");
  });

  it("names the reject code of the first rejected event as the record's reason code", () => {
    const record = recordOutcome("m1", [
      { decision: "ignore", reason: "event-type-not-handled", sinks: [] },
      { decision: "reject", reason: "no-user-target", message: "no User target", sinks: [] },
      { decision: "reject", reason: "invalid-event", message: "no uuid", sinks: [] },
    ]);

    expect(record.reasonCode).toBe("no-user-target");
    expect(record.reason).toBe("no-user-target: no User target; invalid-event: no uuid");
  });
});

describe("a ledger that refuses a request as invalid", () => {
  it("dead-letters the record as ledger-rejected instead of retrying it as 'ledger unavailable'", () => {
    const refused = new LedgerError({ message: "ValidationException: key too long", permanent: true });
    const record = recordOutcome("m1", [routed(SinkOutcome.ledgerUnavailable("slack", refused))]);

    expect(record.status).toBe("rejected");
    expect(record.reasonCode).toBe("ledger-rejected");
  });

  it("still retries a ledger that is only unavailable", () => {
    const down = new LedgerError({ message: "ProvisionedThroughputExceededException" });
    expect(recordOutcome("m1", [routed(SinkOutcome.ledgerUnavailable("slack", down))]).status).toBe("retry-later");
  });
});
