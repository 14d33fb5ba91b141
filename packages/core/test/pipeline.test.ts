import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { Effect, Layer } from "effect";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  DeliveryLedger,
  type Employee,
  HrisDirectory,
  HrisError,
  type InputRecord,
  LedgerError,
  makeInMemoryLedger,
  PipelineConfig,
  type PipelineSettings,
  processBatch,
  type Sink,
  sinksLayer,
} from "../src/index.ts";
import { memorySink } from "../src/testing.ts";

let n = 0;
const record = (body: unknown): InputRecord => {
  n += 1;
  return { id: `msg-${n}`, body: typeof body === "string" ? body : JSON.stringify(body) };
};

interface Harness {
  readonly sinks: ReadonlyArray<Sink>;
  readonly ledger?: DeliveryLedger["Service"];
  readonly hris?: Layer.Layer<HrisDirectory>;
  readonly settings?: Partial<PipelineSettings>;
}

const run = (records: ReadonlyArray<InputRecord>, h: Harness) =>
  Effect.runPromise(
    processBatch(records).pipe(
      Effect.provide(
        Layer.mergeAll(
          PipelineConfig.layer(h.settings),
          Layer.succeed(DeliveryLedger, h.ledger ?? makeInMemoryLedger()),
          h.hris ?? HrisDirectory.none,
          sinksLayer(h.sinks),
        ),
      ),
    ),
  );

describe("processing a batch", () => {
  it("delivers a routed event to each routed sink once and acknowledges the record", async () => {
    const slack = memorySink("slack");
    const jira = memorySink("jira");
    const [out] = await run([record(envelope(oktaEvent()))], { sinks: [slack, jira] });
    expect(out?.status).toBe("delivered");
    expect(out?.events[0]?.sinks.map((s) => [s.sink, s.status])).toEqual([
      ["jira", "delivered"],
      ["slack", "delivered"],
    ]);
    expect(slack.delivered).toHaveLength(1);
    expect(jira.delivered).toHaveLength(1);
  });

  it("gives a later sink the receipts of the sinks that ran before it for the same event", async () => {
    const slack = memorySink("slack");
    const jira = memorySink("jira");
    await run([record(envelope(oktaEvent()))], { sinks: [slack, jira] });
    expect(slack.delivered[0]?.context.receipts.get("jira")?.ref).toBe("jira-1");
    expect(slack.delivered[0]?.context.idempotencyKey).toMatch(/:slack$/);
  });

  it("delivers nothing twice when Okta sends the same event again", async () => {
    const slack = memorySink("slack");
    const ledger = makeInMemoryLedger();
    const body = envelope(oktaEvent({ eventType: "user.lifecycle.suspend" }));
    await run([record(body)], { sinks: [slack], ledger });
    const [again] = await run([record(body), record(body)], { sinks: [slack], ledger });
    expect(slack.delivered).toHaveLength(1);
    expect(again?.status).toBe("delivered");
    expect(again?.events[0]?.sinks[0]?.status).toBe("duplicate");
  });

  it("delivers a duplicate within one batch only once", async () => {
    const slack = memorySink("slack");
    const body = envelope(oktaEvent({ eventType: "user.lifecycle.suspend" }));
    const outs = await run([record(body), record(body)], { sinks: [slack] });
    expect(slack.delivered).toHaveLength(1);
    expect(outs.map((o) => o.events[0]?.sinks[0]?.status).sort()).toEqual(["delivered", "duplicate"]);
  });

  it("retries only the sink that failed transiently, and never repeats the one that succeeded", async () => {
    const slack = memorySink("slack");
    const jira = memorySink("jira");
    const ledger = makeInMemoryLedger();
    jira.failNext(1, "transient");
    const body = envelope(oktaEvent());
    const [first] = await run([record(body)], { sinks: [slack, jira], ledger });
    expect(first?.status).toBe("retry-later");
    expect(first?.reason).toContain("jira");
    expect(slack.delivered).toHaveLength(1);

    const [second] = await run([record(body)], { sinks: [slack, jira], ledger });
    expect(second?.status).toBe("delivered");
    expect(jira.delivered).toHaveLength(1);
    expect(slack.delivered).toHaveLength(1);
  });

  it("rejects a record whose sink fails permanently, naming the sink and its message", async () => {
    const slack = memorySink("slack");
    slack.failNext(1, "permanent");
    const [out] = await run([record(envelope(oktaEvent({ eventType: "user.lifecycle.suspend" })))], {
      sinks: [slack],
    });
    expect(out?.status).toBe("rejected");
    expect(out?.reasonCode).toBe("sink-permanent");
    expect(out?.reason).toContain("slack failed on purpose (permanent)");
  });

  it("rejects poison without affecting the other records of the batch", async () => {
    const slack = memorySink("slack");
    const outs = await run(
      [
        record("not json"),
        record(envelope(oktaEvent({ eventType: "user.lifecycle.suspend" }))),
        record(envelope(oktaEvent(), { source: "evil.example" })),
        record(envelope(oktaEvent({ target: [] }))),
      ],
      { sinks: [slack] },
    );
    expect(outs.map((o) => [o.status, o.reasonCode])).toEqual([
      ["rejected", "not-json"],
      ["delivered", undefined],
      ["rejected", "untrusted-source"],
      ["rejected", "no-user-target"],
    ]);
    expect(slack.delivered).toHaveLength(1);
  });

  it("acknowledges ignored events without touching any sink", async () => {
    const slack = memorySink("slack");
    const [out] = await run([record(envelope(oktaEvent({ eventType: "user.session.start" })))], { sinks: [slack] });
    expect(out?.status).toBe("ignored");
    expect(out?.events[0]?.reason).toBe("event-type-not-handled");
    expect(slack.delivered).toHaveLength(0);
  });

  it("never acknowledges an event routed to a sink that is not configured: retried as sink-inactive", async () => {
    const slack = memorySink("slack");
    const explicit = { ...DEFAULT_POLICY };
    const [out] = await run([record(envelope(oktaEvent()))], { sinks: [slack], settings: { policy: explicit } });
    expect(out?.status).toBe("retry-later");
    expect(out?.events[0]?.sinks.find((s) => s.sink === "jira")).toMatchObject({
      status: "inactive",
      code: "sink-inactive",
      retryable: true,
    });
  });

  it("processes the events of one user in published order, whatever order they arrive in", async () => {
    const slack = memorySink("slack");
    const user = oktaUser({ id: "00uorder" });
    const early = oktaEvent({
      eventType: "user.lifecycle.suspend",
      target: [user],
      published: "2026-11-03T09:00:00.000Z",
    });
    const late = oktaEvent({
      eventType: "user.lifecycle.unsuspend",
      target: [user],
      published: "2026-11-03T10:00:00.000Z",
    });
    await run([record(envelope(late)), record(envelope(early))], { sinks: [slack] });
    expect(slack.delivered.map((d) => d.event.kind)).toEqual(["suspended", "unsuspended"]);
  });

  it("hands a follow-up the case opened by the earlier event", async () => {
    const slack = memorySink("slack");
    const ledger = makeInMemoryLedger();
    const user = oktaUser({ id: "00ucase" });
    const opened = oktaEvent({
      eventType: "user.lifecycle.deactivate",
      target: [user],
      published: "2026-11-03T09:00:00.000Z",
    });
    const follow = oktaEvent({
      eventType: "user.lifecycle.reactivate",
      target: [user],
      published: "2026-11-04T09:00:00.000Z",
    });
    await run([record(envelope(opened))], { sinks: [slack], ledger });
    await run([record(envelope(follow))], { sinks: [slack], ledger });
    const ctx = slack.delivered[1]?.context;
    expect(ctx?.followUp).toBe(true);
    expect(ctx?.case?.openedBy).toBe(opened.uuid);
    expect(ctx?.case?.receipts.slack?.ref).toBe("slack-1");
    const stored = await Effect.runPromise(ledger.getCase("00ucase"));
    expect(stored?.lastKind).toBe("reactivated");
  });

  it("marks an event that arrives after a later one of the same user as superseded", async () => {
    const slack = memorySink("slack");
    const ledger = makeInMemoryLedger();
    const user = oktaUser({ id: "00ulate" });
    const deactivated = oktaEvent({
      eventType: "user.lifecycle.deactivate",
      target: [user],
      published: "2026-11-03T11:00:00.000Z",
    });
    const reactivated = oktaEvent({
      eventType: "user.lifecycle.reactivate",
      target: [user],
      published: "2026-11-03T12:00:00.000Z",
    });
    await run([record(envelope(reactivated))], { sinks: [slack], ledger });
    const [late] = await run([record(envelope(deactivated))], { sinks: [slack], ledger });

    expect(slack.delivered[0]?.context.supersededBy).toBeUndefined();
    expect(slack.delivered[1]?.context.supersededBy).toEqual({
      kind: "reactivated",
      eventId: reactivated.uuid,
      occurredAt: "2026-11-03T12:00:00.000Z",
    });
    expect(late?.events[0]?.supersededBy?.kind).toBe("reactivated");
    // The user's state stays the later event's.
    const stored = await Effect.runPromise(ledger.getCase("00ulate"));
    expect(stored?.lastKind).toBe("reactivated");
  });

  it("tells a sink retried after the user's next event that the event is superseded", async () => {
    const slack = memorySink("slack");
    const jira = memorySink("jira");
    const ledger = makeInMemoryLedger();
    const user = oktaUser({ id: "00uretry" });
    const deactivated = oktaEvent({ target: [user], published: "2026-11-03T11:00:00.000Z" });
    const reactivated = oktaEvent({
      eventType: "user.lifecycle.reactivate",
      target: [user],
      published: "2026-11-03T12:00:00.000Z",
    });
    jira.failNext(1, "transient");
    await run([record(envelope(deactivated))], { sinks: [slack, jira], ledger });
    await run([record(envelope(reactivated))], { sinks: [slack, jira], ledger });
    await run([record(envelope(deactivated))], { sinks: [slack, jira], ledger });
    // Jira's first attempt failed; by its retry the user had been reactivated.
    const retried = jira.delivered.find((d) => d.event.id === deactivated.uuid);
    expect(retried?.context.supersededBy?.kind).toBe("reactivated");
    expect(slack.delivered.find((d) => d.event.id === deactivated.uuid)?.context.supersededBy).toBeUndefined();
  });

  it("waits instead of delivering when another attempt holds the lease", async () => {
    const slack = memorySink("slack");
    const ledger = makeInMemoryLedger();
    const ev = oktaEvent({ eventType: "user.lifecycle.suspend" });
    await Effect.runPromise(ledger.claim(ev.uuid, "slack", 60_000));
    const [out] = await run([record(envelope(ev))], { sinks: [slack], ledger });
    expect(out?.status).toBe("retry-later");
    expect(out?.events[0]?.sinks[0]?.status).toBe("busy");
    expect(slack.delivered).toHaveLength(0);
  });

  it("never delivers without a claim when the ledger is unavailable", async () => {
    const slack = memorySink("slack");
    const down = new LedgerError({ message: "throttled" });
    const ledger: DeliveryLedger["Service"] = {
      ...makeInMemoryLedger(),
      claimAll: () => Effect.fail(down),
    };
    const [out] = await run([record(envelope(oktaEvent({ eventType: "user.lifecycle.suspend" })))], {
      sinks: [slack],
      ledger,
    });
    expect(out?.status).toBe("retry-later");
    expect(out?.reason).toContain("ledger unavailable: throttled");
    expect(slack.delivered).toHaveLength(0);
  });

  it("turns a sink that throws into a transient failure and frees its lease", async () => {
    const crashing: Sink = { name: "slack", deliver: () => Effect.die(new Error("boom")) };
    const ledger = makeInMemoryLedger();
    const ev = oktaEvent({ eventType: "user.lifecycle.suspend" });
    const [out] = await run([record(envelope(ev))], { sinks: [crashing], ledger });
    expect(out?.status).toBe("retry-later");
    expect(out?.events[0]?.sinks[0]).toMatchObject({ status: "failed", retryable: true, code: "defect" });
    const claim = await Effect.runPromise(ledger.claim(ev.uuid, "slack", 1000));
    expect(claim._tag).toBe("Claimed");
  });

  it("times out a sink that hangs and counts it as transient", async () => {
    const hanging: Sink = { name: "slack", deliver: () => Effect.never };
    const [out] = await run([record(envelope(oktaEvent({ eventType: "user.lifecycle.suspend" })))], {
      sinks: [hanging],
      settings: { sinkTimeoutMs: 20 },
    });
    expect(out?.events[0]?.sinks[0]).toMatchObject({ status: "failed", retryable: true, code: "timeout" });
  });
});

describe("the HRIS cross-check", () => {
  const employee = (over: Partial<Employee> = {}): Employee => ({
    id: "42",
    email: "jane@example.com",
    status: "active",
    ...over,
  });
  const deactivateJane = () =>
    envelope(oktaEvent({ target: [oktaUser({ id: "00ujane", login: "Jane@example.com" })] }));

  it("flags drift when Okta offboards someone HR still shows active", async () => {
    const slack = memorySink("slack");
    await run([record(deactivateJane())], { sinks: [slack], hris: HrisDirectory.inMemory([employee()]) });
    expect(slack.delivered[0]?.context.hris).toMatchObject({
      _tag: "Drift",
      summary: "HR shows active with no termination date",
    });
  });

  it("agrees when HR shows the person terminated", async () => {
    const slack = memorySink("slack");
    const hris = HrisDirectory.inMemory([employee({ status: "inactive", terminationDate: "2026-10-31" })]);
    await run([record(deactivateJane())], { sinks: [slack], hris });
    expect(slack.delivered[0]?.context.hris._tag).toBe("Agrees");
  });

  it("says unavailable, and still delivers, when the HR system fails", async () => {
    const slack = memorySink("slack");
    const hris = Layer.succeed(HrisDirectory, {
      configured: true,
      findByEmail: () => Effect.fail(new HrisError({ message: "503 from BambooHR" })),
    });
    const [out] = await run([record(deactivateJane())], { sinks: [memorySink("jira"), slack], hris });
    expect(out?.status).toBe("delivered");
    expect(slack.delivered[0]?.context.hris).toEqual({ _tag: "Unavailable", message: "503 from BambooHR" });
  });

  it("says unavailable, and still delivers, when the HR system is slow", async () => {
    const slack = memorySink("slack");
    const hris = Layer.succeed(HrisDirectory, { configured: true, findByEmail: () => Effect.never });
    const [out] = await run([record(deactivateJane())], {
      sinks: [memorySink("jira"), slack],
      hris,
      settings: { hrisTimeoutMs: 20 },
    });
    expect(out?.status).toBe("delivered");
    expect(slack.delivered[0]?.context.hris._tag).toBe("Unavailable");
  });

  it("reports when HR has no such employee", async () => {
    const slack = memorySink("slack");
    await run([record(deactivateJane())], { sinks: [slack], hris: HrisDirectory.inMemory([]) });
    expect(slack.delivered[0]?.context.hris).toEqual({ _tag: "NotFound", email: "Jane@example.com" });
  });
});
