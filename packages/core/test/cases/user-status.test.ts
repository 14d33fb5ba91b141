import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { Effect, Layer, Logger } from "effect";
import { describe, expect, it } from "vitest";
import {
  DeliveryLedger,
  HrisDirectory,
  makeInMemoryLedger,
  OktaUserStatus,
  PipelineConfig,
  processRecord,
  sinksLayer,
  type UserStatus,
} from "../../src/index.ts";
import { memorySink } from "../../src/testing.ts";
import { memoryTicketSink } from "./ticket-sink.ts";

/** Okta's current status, when readable, holds back a ticket the events ask for but Okta contradicts. */
const deactivate = (userId: string) =>
  JSON.stringify(envelope(oktaEvent({ target: [oktaUser({ id: userId })], eventType: "user.lifecycle.deactivate" })));

const run = (status: Layer.Layer<OktaUserStatus> | undefined, userId: string) => {
  const jira = memoryTicketSink();
  const base = Layer.mergeAll(
    PipelineConfig.layer({}),
    Layer.succeed(DeliveryLedger, makeInMemoryLedger()),
    HrisDirectory.none,
    sinksLayer([jira.sink, memorySink("slack")]),
    Logger.layer([]),
  );
  const layer = status === undefined ? base : Layer.mergeAll(base, status);
  return Effect.runPromise(processRecord({ id: "r1", body: deactivate(userId) }).pipe(Effect.provide(layer))).then(
    (outcome) => ({ outcome, tickets: jira.tickets }),
  );
};

const okta = (userId: string, status: UserStatus) => OktaUserStatus.inMemory(new Map([[userId, status]]));

describe("Okta's authoritative user status", () => {
  it("opens the ticket when Okta agrees the user is deprovisioned", async () => {
    const { tickets } = await run(okta("00uagree", "deprovisioned"), "00uagree");
    expect(tickets).toHaveLength(1);
  });

  it("holds the ticket back when Okta still says active, and the sink reports skipped, not delivered", async () => {
    const { tickets, outcome } = await run(okta("00ustill", "active"), "00ustill");
    expect(tickets).toHaveLength(0);
    expect(outcome.events[0]?.sinks.find((s) => s.sink === "jira")?.status).toBe("skipped");
  });

  it("lets the events decide when Okta read access is not configured", async () => {
    const { tickets } = await run(undefined, "00unone");
    expect(tickets).toHaveLength(1);
  });
});
