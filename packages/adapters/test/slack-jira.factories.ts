/**
 * Factories for the Slack and Jira sink tests: realistic defaults, override what the test is about. The
 * event and delivery-context factories are testkit's (shared by every package); these add the sinks' own.
 */
import type { CaseRecord, OffboardingEvent, Receipt, Superseded } from "@offboard/core";
import { offboardingEvent } from "@offboard/testkit";

import { Effect, Redacted } from "effect";
import type { JiraSettings } from "../src/jira/settings.ts";
import type { SlackSettings } from "../src/slack/settings.ts";

export { deliveryContext, offboardingEvent } from "@offboard/testkit";

/** The follow-up (reactivation) of the same user. */
export const reactivation = (overrides: Partial<OffboardingEvent> = {}): OffboardingEvent =>
  offboardingEvent({
    kind: "reactivated",
    eventType: "user.lifecycle.reactivate",
    occurredAt: "2026-11-04T10:00:00.000Z",
    ...overrides,
  });

/** The later event an out-of-order one arrived behind: the user was reactivated the next day. */
export const laterReactivation = (overrides: Partial<Superseded> = {}): Superseded => ({
  kind: "reactivated",
  eventId: "7c2d9e10-0000-11ef-9a1b-0242ac120002",
  occurredAt: "2026-11-04T10:00:00.000Z",
  ...overrides,
});

/** A case opened by a deactivation, with the given receipts. */
export const openCase = (receipts: Record<string, Receipt>, overrides: Partial<CaseRecord> = {}): CaseRecord => ({
  subjectId: "00u1abcdEFGHijkl0x7",
  openedBy: "5e1b7a3c-0000-11ef-9a1b-0242ac120002",
  openedKind: "deactivated",
  lastPublished: Date.parse("2026-11-03T09:15:12.345Z"),
  lastKind: "deactivated",
  receipts,
  ...overrides,
});

export const SLACK_TOKEN = "xoxb-fake_test-0000-secret";
export const JIRA_TOKEN = "ATATT3x-test-secret";

export const slackSettings = (apiBase: string, overrides: Partial<SlackSettings> = {}): SlackSettings => ({
  token: Redacted.make(SLACK_TOKEN),
  channelId: "C0123456789",
  apiUrl: `${apiBase}/api/`,
  timeZone: "UTC",
  timeoutMs: 2_000,
  maxRetries: 0,
  digestThreshold: 10,
  digestWindowMs: 60_000,
  digestUpdateMs: 15_000,
  paceIntervalMs: 1_100,
  paceBurst: 2,
  maxWaitMs: 2_500,
  ...overrides,
});

export const jiraSettings = (baseUrl: string, overrides: Partial<JiraSettings> = {}): JiraSettings => ({
  baseUrl,
  email: "offboard-bot@example.com",
  apiToken: Redacted.make(JIRA_TOKEN),
  projectKey: "IT",
  issueType: "Task",
  kinds: ["deactivated"],
  checklist: ["Revoke SaaS sessions", "Recover laptop"],
  labels: [],
  timeoutMs: 2_000,
  maxRetries: 0,
  ...overrides,
});

/** Runs an effect to its Result (Success / Failure), for asserting on classified failures. */
export const run = <A, E>(eff: Effect.Effect<A, E>) => Effect.runPromise(Effect.result(eff));

/** A port nothing listens on: bind, note the port, close. */
export const closedPortUrl = async (): Promise<string> => {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
};
