import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { Effect, Layer, Logger } from "effect";
import { describe, expect, it } from "vitest";
import {
  DeliveryLedger,
  HrisDirectory,
  makeInMemoryLedger,
  PipelineConfig,
  processRecord,
  sinksLayer,
} from "../../src/index.ts";
import { memorySink } from "../../src/testing.ts";
import { memoryTicketSink } from "./ticket-sink.ts";

/**
 * Two invocations handle two events of one user at the same moment: the deactivation reads the case
 * before the reactivation (published later) is saved, opens a ticket, and finds the case moved on when
 * it comes to save. The ticket must neither vanish from the case nor stay open for an active user.
 */
describe("a deactivation racing a later reactivation in another invocation", () => {
  it("closes the ticket it opened once it sees the user is active again", async () => {
    const user = oktaUser({ id: "00urace" });
    const body = (eventType: string, published: string) =>
      JSON.stringify(envelope(oktaEvent({ eventType, published, target: [user] })));
    const store = makeInMemoryLedger();
    // The reactivation has been applied (by the other invocation)...
    const layer = (ledger: DeliveryLedger["Service"], jira: ReturnType<typeof memoryTicketSink>) =>
      Layer.mergeAll(
        PipelineConfig.layer({}),
        Layer.succeed(DeliveryLedger, ledger),
        HrisDirectory.none,
        sinksLayer([jira.sink, memorySink("slack")]),
        Logger.layer([]),
      );
    const jira = memoryTicketSink();
    await Effect.runPromise(
      processRecord({ id: "r", body: body("user.lifecycle.reactivate", "2026-11-01T11:00:00.000Z") }).pipe(
        Effect.provide(layer(store, jira)),
      ),
    );
    // ...but the deactivation's invocation read the case before that (a stale first read).
    let reads = 0;
    const stale: DeliveryLedger["Service"] = {
      ...store,
      // The batch's read of the cases (getCases) is the stale one; later reads see the store.
      getCases: (ids) => {
        reads += 1;
        return reads === 1 ? Effect.succeed(new Map()) : store.getCases(ids);
      },
    };
    const out = await Effect.runPromise(
      processRecord({ id: "d", body: body("user.lifecycle.deactivate", "2026-11-01T10:00:00.000Z") }).pipe(
        Effect.provide(layer(stale, jira)),
      ),
    );

    expect(jira.tickets).toHaveLength(1);
    expect(jira.tickets.filter((t) => t.open)).toEqual([]);
    expect(out.events[0]?.sinks.filter((s) => s.sink === "jira").map((s) => s.receipt?.ticket)).toEqual([
      "open",
      "close",
    ]);
    const stored = await Effect.runPromise(store.getCase("00urace"));
    expect(stored).toMatchObject({ lastKind: "reactivated", ticket: { status: "closed" } });
  });

  it("the reactivation closes a ticket the deactivation saved while the reactivation ran", async () => {
    const user = oktaUser({ id: "00urace2" });
    const body = (eventType: string, published: string) =>
      JSON.stringify(envelope(oktaEvent({ eventType, published, target: [user] })));
    const store = makeInMemoryLedger();
    const jira = memoryTicketSink();
    const layer = (ledger: DeliveryLedger["Service"]) =>
      Layer.mergeAll(
        PipelineConfig.layer({}),
        Layer.succeed(DeliveryLedger, ledger),
        HrisDirectory.none,
        sinksLayer([jira.sink, memorySink("slack")]),
        Logger.layer([]),
      );
    // The deactivation opened its ticket and saved the case...
    await Effect.runPromise(
      processRecord({ id: "d", body: body("user.lifecycle.deactivate", "2026-11-01T10:00:00.000Z") }).pipe(
        Effect.provide(layer(store)),
      ),
    );
    // ...after the reactivation's invocation had read the case (empty: a stale first read).
    let reads = 0;
    const stale: DeliveryLedger["Service"] = {
      ...store,
      // The batch's read of the cases (getCases) is the stale one; later reads see the store.
      getCases: (ids) => {
        reads += 1;
        return reads === 1 ? Effect.succeed(new Map()) : store.getCases(ids);
      },
    };
    await Effect.runPromise(
      processRecord({ id: "r", body: body("user.lifecycle.reactivate", "2026-11-01T11:00:00.000Z") }).pipe(
        Effect.provide(layer(stale)),
      ),
    );

    expect(jira.tickets).toHaveLength(1);
    expect(jira.tickets.filter((t) => t.open)).toEqual([]);
    const stored = await Effect.runPromise(store.getCase("00urace2"));
    expect(stored).toMatchObject({ lastKind: "reactivated", ticket: { status: "closed" } });
  });
});
