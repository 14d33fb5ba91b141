import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  batchOrder,
  type CaseEvent,
  type CaseState,
  DEFAULT_CASE_SETTINGS,
  EMPTY_CASE,
  needsTicket,
  stepCase,
  type Timeliness,
  withAuthoritativeStatus,
} from "../../src/cases/machine.ts";
import type { LifecycleKind } from "../../src/domain/catalogue.ts";
import { batchSplits, permutations } from "./combinatorics.ts";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const KINDS: ReadonlyArray<LifecycleKind> = ["suspended", "unsuspended", "deactivated", "reactivated", "deleted"];
/** A few instants (so ties happen), one too far in the future, and one that is no date at all. */
const PUBLISHED = [
  "2026-03-01T10:00:00.000Z",
  "2026-03-01T10:00:00.000Z",
  "2026-03-01T11:00:00.000Z",
  "2026-03-01T11:30:00.000Z",
  "2026-03-01T12:03:00.000Z",
  "2999-01-01T00:00:00.000Z",
  "yesterday",
];

/** A world of tickets the actions are carried out in: what a ticket sink would end with. */
interface World {
  readonly tickets: Array<{ openedBy: string; open: boolean; comments: number }>;
  readonly alerts: Map<string, Array<Timeliness>>;
  state: CaseState;
}

const apply = (world: World, event: CaseEvent) => {
  const step = stepCase(world.state, event, NOW);
  world.alerts.set(event.id, [...(world.alerts.get(event.id) ?? []), step.timeliness]);
  const open = world.tickets.find((t) => t.open);
  switch (step.ticket) {
    case "open":
      world.tickets.push({ openedBy: event.id, open: true, comments: 0 });
      break;
    case "comment":
      if (open === undefined) throw new Error("comment with no open ticket");
      open.comments += 1;
      break;
    case "close":
      if (open === undefined) throw new Error("close with no open ticket");
      open.open = false;
      break;
    case "none":
      break;
  }
  world.state = step.after;
};

/** Runs batches the way the pipeline does: each batch in (published, id) order, batches one after another. */
const run = (batches: ReadonlyArray<ReadonlyArray<CaseEvent>>): World => {
  const world: World = { tickets: [], alerts: new Map(), state: EMPTY_CASE };
  for (const batch of batches) for (const e of batchOrder(batch)) apply(world, e);
  return world;
};

const events = fc
  .array(fc.record({ kind: fc.constantFrom(...KINDS), published: fc.constantFrom(...PUBLISHED) }), {
    minLength: 1,
    maxLength: 5,
  })
  // Ids in a shuffled order, so that id order (the tie-break) is not arrival order.
  .chain((es) =>
    fc
      .shuffledSubarray(
        es.map((_, i) => `e${i}`),
        { minLength: es.length, maxLength: es.length },
      )
      .map((ids) => es.map((e, i): CaseEvent => ({ ...e, id: ids[i]! }))),
  );

const NUM_RUNS = 150;

/**
 * What must not depend on arrival order: the state ("closed" and "none" both mean no open ticket:
 * they differ in history, not in outcome), the number of open tickets, and that every event was
 * alerted exactly once.
 */
const summary = (world: World): string =>
  JSON.stringify({
    head: world.state.head,
    ticketOpen: world.state.ticket === "open",
    openTickets: world.tickets.filter((t) => t.open).length,
    alerts: [...world.alerts.entries()].map(([id, seen]) => [id, seen.length]).sort(),
  });

describe("case state machine: every arrival order converges", () => {
  it("every permutation and every split into batches ends in the state and open tickets of in-order processing", () => {
    let cases = 0;
    fc.assert(
      fc.property(events, (es) => {
        const reference = run([batchOrder(es)]);
        const openRef = reference.tickets.filter((t) => t.open).length;
        expect(openRef).toBe(needsTicket(reference.state, DEFAULT_CASE_SETTINGS) ? 1 : 0);
        const want = summary(reference);
        for (const order of permutations(es)) {
          for (const batches of batchSplits(order)) {
            cases += 1;
            const got = summary(run(batches));
            // Compared as text so the inner loop stays cheap; a mismatch shows both sides.
            if (got !== want) expect({ batches, got }).toEqual({ batches, got: want });
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    // The count is part of the closing note: numRuns × permutations × batch splits.
    console.info(`case machine property: ${NUM_RUNS} runs, ${cases} arrival orders × batch splits`);
    expect(cases).toBeGreaterThan(NUM_RUNS);
  });

  it("applying an event again changes nothing (idempotent per event id)", () => {
    fc.assert(
      fc.property(events, fc.nat(), (es, pick) => {
        const once = run([es]);
        const again = es[pick % es.length]!;
        const twice = run([es, [again]]);
        expect(twice.state.head).toEqual(once.state.head);
        expect(twice.tickets.filter((t) => t.open).length).toBe(once.tickets.filter((t) => t.open).length);
      }),
      { numRuns: 300 },
    );
  });

  it("an event published beyond the clock skew never moves the state", () => {
    fc.assert(
      fc.property(events, (es) => {
        const placeable = es.filter((e) => !e.published.startsWith("2999") && e.published !== "yesterday");
        const all = run([es]);
        const only = run([placeable]);
        expect(all.state.head).toEqual(only.state.head);
        expect(all.tickets.filter((t) => t.open).length).toBe(only.tickets.filter((t) => t.open).length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("case state machine: the scenarios of issue 10", () => {
  const ev = (id: string, kind: LifecycleKind, published: string): CaseEvent => ({ id, kind, published });
  const deactivate = ev("d", "deactivated", "2026-03-01T10:00:00.000Z");
  const del = ev("x", "deleted", "2026-03-01T11:00:00.000Z");

  it("a deletion arriving before the older deactivation opens the one ticket", () => {
    const world = run([[del], [deactivate]]);
    expect(world.tickets).toEqual([{ openedBy: "x", open: true, comments: 0 }]);
    expect(world.alerts.get("d")).toEqual(["history"]);
  });

  it("a deletion after a deactivation's ticket comments on it", () => {
    const world = run([[deactivate], [del]]);
    expect(world.tickets).toEqual([{ openedBy: "d", open: true, comments: 1 }]);
  });

  it("reactivate, deactivate, delete arriving in that order (not in time order) end with one open ticket", () => {
    const world = run([
      [ev("r", "reactivated", "2026-03-01T11:00:00.000Z")],
      [ev("d", "deactivated", "2026-03-01T10:30:00.000Z")],
      [ev("x", "deleted", "2026-03-01T11:30:00.000Z")],
    ]);
    expect(world.tickets.filter((t) => t.open)).toHaveLength(1);
  });

  it("an unsuspend dated 2999 does not silence a later real deactivation", () => {
    const world = run([[ev("u", "unsuspended", "2999-01-01T00:00:00.000Z")], [deactivate]]);
    expect(world.alerts.get("u")).toEqual(["future"]);
    expect(world.state.head?.kind).toBe("deactivated");
    expect(world.tickets).toEqual([{ openedBy: "d", open: true, comments: 0 }]);
  });

  it("a reactivation after the ticket closes it", () => {
    const world = run([[deactivate], [ev("r", "reactivated", "2026-03-01T11:00:00.000Z")]]);
    expect(world.tickets).toEqual([{ openedBy: "d", open: false, comments: 0 }]);
  });
});

describe("Okta's authoritative status", () => {
  const deactivate: CaseEvent = { id: "d", kind: "deactivated", published: "2026-03-01T10:00:00.000Z" };

  it("holds back a ticket the events ask for while Okta still says active, and says they disagree", () => {
    const step = stepCase(EMPTY_CASE, deactivate, NOW);
    expect(step.ticket).toBe("open");
    const checked = withAuthoritativeStatus(step, "active");
    expect(checked.disagrees).toBe(true);
    expect(checked.step.ticket).toBe("none");
    expect(checked.step.after.ticket).toBe("none");
  });

  it("opens the ticket when Okta agrees, and changes nothing when it gives no opinion", () => {
    const step = stepCase(EMPTY_CASE, deactivate, NOW);
    expect(withAuthoritativeStatus(step, "deprovisioned")).toEqual({ step, disagrees: false });
    expect(withAuthoritativeStatus(step, "other")).toEqual({ step, disagrees: false });
  });

  it("does not close a ticket while Okta says the user is deleted", () => {
    const open = stepCase(EMPTY_CASE, deactivate, NOW).after;
    const step = stepCase(open, { id: "r", kind: "reactivated", published: "2026-03-01T11:00:00.000Z" }, NOW);
    expect(step.ticket).toBe("close");
    const checked = withAuthoritativeStatus(step, "deleted");
    expect(checked).toMatchObject({ disagrees: true, step: { ticket: "none", after: { ticket: "open" } } });
  });
});
