import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { Effect, Layer, Logger } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  DeliveryLedger,
  HrisDirectory,
  type InputRecord,
  type LifecycleKind,
  makeInMemoryLedger,
  PipelineConfig,
  processBatch,
  type RecordOutcome,
  type RoutingPolicy,
  sinksLayer,
} from "../../src/index.ts";
import { memorySink } from "../../src/testing.ts";
import { batchSplits, permutations } from "./combinatorics.ts";
import { memoryTicketSink } from "./ticket-sink.ts";

/**
 * The claim of issue 10 through the real pipeline and the in-memory ledger: for any sequence of one
 * user's lifecycle events, every arrival order and every split into batches ends with the same case
 * state and the same open tickets as processing them in time order, and Slack hears of every event once.
 */

const EVENT_TYPE: Record<LifecycleKind, string> = {
  suspended: "user.lifecycle.suspend",
  unsuspended: "user.lifecycle.unsuspend",
  deactivated: "user.lifecycle.deactivate",
  reactivated: "user.lifecycle.reactivate",
  deleted: "user.lifecycle.delete.initiated",
};
const KINDS = Object.keys(EVENT_TYPE) as Array<LifecycleKind>;
const PUBLISHED = [
  "2026-03-01T10:00:00.000Z",
  "2026-03-01T10:00:00.000Z",
  "2026-03-01T11:00:00.000Z",
  "2026-03-01T12:00:00.000Z",
  "2999-01-01T00:00:00.000Z",
];
/** Every kind to the ticket sink and to Slack, so the case alone decides what the ticket sink does. */
const POLICY: RoutingPolicy = {
  ...DEFAULT_POLICY,
  routes: {
    suspended: ["jira", "slack"],
    unsuspended: ["jira", "slack"],
    deactivated: ["jira", "slack"],
    reactivated: ["jira", "slack"],
    deleted: ["jira", "slack"],
  },
};
const USER = oktaUser({ id: "00uconverge" });

interface Ev {
  readonly uuid: string;
  readonly kind: LifecycleKind;
  readonly published: string;
}

const body = (e: Ev) =>
  JSON.stringify(
    envelope(oktaEvent({ uuid: e.uuid, eventType: EVENT_TYPE[e.kind], published: e.published, target: [USER] })),
  );

const runBatches = async (batches: ReadonlyArray<ReadonlyArray<Ev>>) => {
  const jira = memoryTicketSink();
  const slack = memorySink("slack");
  const ledger = makeInMemoryLedger();
  const layer = Layer.mergeAll(
    PipelineConfig.layer({ policy: POLICY }),
    Layer.succeed(DeliveryLedger, ledger),
    HrisDirectory.none,
    sinksLayer([jira.sink, slack]),
    // The future-dated events log a warning each; thousands of runs need not print them.
    Logger.layer([]),
  );
  const outcomes: Array<RecordOutcome> = [];
  for (const batch of batches) {
    const records: Array<InputRecord> = batch.map((e) => ({ id: e.uuid, body: body(e) }));
    outcomes.push(...(await Effect.runPromise(processBatch(records).pipe(Effect.provide(layer)))));
  }
  const stored = await Effect.runPromise(ledger.getCase(USER.id));
  return { jira, slack, outcomes, stored };
};

const summary = (r: Awaited<ReturnType<typeof runBatches>>) =>
  JSON.stringify({
    kind: r.stored?.lastKind,
    event: r.stored?.lastEventId,
    ticketOpen: r.stored?.ticket?.status === "open",
    openTickets: r.jira.tickets.filter((t) => t.open).length,
    alerted: r.slack.delivered.map((d) => d.event.id).sort(),
    statuses: r.outcomes.map((o) => o.status).sort(),
  });

const events = fc
  .array(fc.record({ kind: fc.constantFrom(...KINDS), published: fc.constantFrom(...PUBLISHED) }), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((es) =>
    fc
      .shuffledSubarray(
        es.map((_, i) => `5e1b7a3c-000${i}-11ef-9a1b-0242ac120002`),
        { minLength: es.length, maxLength: es.length },
      )
      .map((ids) => es.map((e, i): Ev => ({ ...e, uuid: ids[i]! }))),
  );

const NUM_RUNS = 100;

describe("the pipeline converges: any arrival order, any batches", () => {
  it("ends with the state, open tickets and alerts of in-order processing", async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(events, async (es) => {
        const inOrder = [...es].sort((a, b) =>
          a.published === b.published ? (a.uuid < b.uuid ? -1 : 1) : a.published < b.published ? -1 : 1,
        );
        const reference = await runBatches(inOrder.map((e) => [e]));
        const want = summary(reference);
        const wantOpen = reference.jira.tickets.filter((t) => t.open).length;
        const finalKind = reference.stored?.lastKind;
        expect(wantOpen).toBe(finalKind === "deactivated" || finalKind === "deleted" ? 1 : 0);
        for (const order of permutations(es)) {
          for (const batches of batchSplits(order)) {
            cases += 1;
            const got = summary(await runBatches(batches));
            if (got !== want) expect({ batches, got }).toEqual({ batches, got: want });
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    console.info(`pipeline convergence property: ${NUM_RUNS} runs, ${cases} arrival orders × batch splits`);
  }, 300_000);
});
