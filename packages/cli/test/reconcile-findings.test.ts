/**
 * `reconcile`'s comparison in-process: Okta events against a ledger audit that says which sinks hold a
 * receipt. Covers the partial case (some sinks delivered, one did not), which needs configured sinks.
 */
import type { AuditedDelivery, LedgerAudit } from "@offboard/adapters";
import { configFromSources } from "@offboard/adapters";
import { fakeLogEvent } from "@offboard/testkit";
import { Result } from "effect";
import { describe, expect, it } from "vitest";
import { reconcile } from "../src/commands/reconcile.ts";

const config = () => {
  const r = configFromSources({
    SLACK_BOT_TOKEN: "xoxb-test_not_real",
    SLACK_CHANNEL_ID: "C0123456789",
    JIRA_BASE_URL: "https://example.atlassian.net",
    JIRA_EMAIL: "bot@example.com",
    JIRA_API_TOKEN: "jira-test-token",
    JIRA_PROJECT_KEY: "IT",
  });
  if (Result.isFailure(r)) throw new Error(r.failure.message);
  return r.success;
};

/** A ledger that holds the given receipts, by event uuid. */
const ledgerWith = (done: Record<string, ReadonlyArray<string>>): LedgerAudit => ({
  deliveries: async (eventId) =>
    (done[eventId] ?? []).map(
      (sink): AuditedDelivery => ({
        sink,
        state: "done",
        completedAt: "2026-11-30T06:00:00.000Z",
        receipt: { sink, ref: `${sink}-1` },
      }),
    ),
  close: async () => {},
});

describe("reconcile", () => {
  it("reports the sink without a receipt when the others delivered", async () => {
    const deactivated = fakeLogEvent("user.lifecycle.deactivate", "2026-11-30T05:00:00.000Z");

    const result = await reconcile(config(), [deactivated], ledgerWith({ [deactivated.uuid]: ["slack"] }), false);

    expect(result.findings).toEqual([
      expect.objectContaining({
        finding: "no-receipt",
        uuid: deactivated.uuid,
        sink: "jira",
        expectedSinks: ["jira", "slack"],
      }),
    ]);
    expect(result.missingReceipts).toBe(1);
    expect(result.undelivered).toBe(0);
  });

  it("expects nothing of events offboard ignores (an unsuccessful deactivation)", async () => {
    const failed = fakeLogEvent("user.lifecycle.deactivate", "2026-11-30T05:00:00.000Z", {
      outcome: { result: "FAILURE", reason: "denied" },
    });

    const result = await reconcile(config(), [failed], ledgerWith({}), false);

    expect(result.routed).toBe(0);
    expect(result.findings).toEqual([]);
  });
});
