import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_POLICY,
  type DeliveryContext,
  HrisDirectory,
  type InputRecord,
  type OffboardingEvent,
  PipelineConfig,
  processBatch,
  type RoutingPolicy,
  sinksLayer,
} from "@offboard/core";
import {
  oktaEvent,
  oktaUserId,
  deliveryContext as sharedContext,
  offboardingEvent as sharedEvent,
} from "@offboard/testkit";
import { Effect, Layer } from "effect";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteLedger } from "../../src/ledger/sqlite.ts";
import { type OutboxEntry, outboxSink } from "../../src/preview/outbox.ts";

const root = mkdtempSync(join(tmpdir(), "offboard-outbox-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
/** A fresh state directory (not created yet). */
const stateDir = () => {
  dirs += 1;
  return join(root, `run-${dirs}`, ".offboard");
};

const readLines = (path: string): Array<OutboxEntry> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as OutboxEntry);

/** testkit's routed event, each for a fresh user. */
const offboardingEvent = (overrides: Partial<OffboardingEvent> = {}): OffboardingEvent =>
  sharedEvent({
    occurredAt: "2026-11-03T09:00:12.345Z",
    subject: { id: oktaUserId(), login: "jane.doe@example.com", displayName: "Jane Doe", type: "User" },
    ...overrides,
  });

/** testkit's delivery context, as the pipeline builds it when no HRIS is configured. */
const deliveryContext = (overrides: Partial<DeliveryContext> = {}): DeliveryContext => ({
  ...sharedContext(offboardingEvent(), { hris: { _tag: "NotChecked", why: "no HRIS configured" } }),
  idempotencyKey: "k",
  ...overrides,
});

describe("the outbox sink", () => {
  it("appends exactly one JSON line per delivery, creating the file and its directory", async () => {
    const path = join(stateDir(), "outbox.jsonl");
    const sink = outboxSink({ path });
    const first = offboardingEvent({ reason: "Left the company" });
    const second = offboardingEvent({ kind: "suspended", eventType: "user.lifecycle.suspend" });
    await Effect.runPromise(sink.deliver(first, deliveryContext()));
    await Effect.runPromise(sink.deliver(second, deliveryContext()));
    const lines = readLines(path);
    expect(lines.map((l) => l.eventId)).toEqual([first.id, second.id]);
    expect(lines[0]).toMatchObject({
      eventId: first.id,
      kind: "deactivated",
      eventType: "user.lifecycle.deactivate",
      occurredAt: "2026-11-03T09:00:12.345Z",
      subject: first.subject,
      actor: first.actor,
      reason: "Left the company",
      hris: { status: "NotChecked", line: "HRIS: not checked (no HRIS configured)" },
      followUp: false,
    });
    expect(Number.isNaN(Date.parse(lines[0]!.deliveredAt))).toBe(false);
    expect(lines[1]).not.toHaveProperty("reason");
  });

  it("names the byte offset of its line in the receipt", async () => {
    const path = join(stateDir(), "outbox.jsonl");
    const sink = outboxSink({ path });
    const a = await Effect.runPromise(sink.deliver(offboardingEvent(), deliveryContext()));
    const b = await Effect.runPromise(sink.deliver(offboardingEvent(), deliveryContext()));
    const firstLineBytes = Buffer.byteLength(`${readFileSync(path, "utf8").split("\n")[0]}\n`);
    expect(a).toEqual({ sink: "outbox", ref: "outbox:0", detail: { path } });
    expect(b.ref).toBe(`outbox:${firstLineBytes}`);
  });

  it("keeps a display name with quotes and line breaks inside one line", async () => {
    const path = join(stateDir(), "outbox.jsonl");
    const hostile = offboardingEvent({ subject: { id: "00u-m", displayName: 'Mallory "\n{"eventId":"forged"}' } });
    await Effect.runPromise(outboxSink({ path }).deliver(hostile, deliveryContext()));
    const lines = readLines(path);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.subject.displayName).toBe('Mallory "\n{"eventId":"forged"}');
  });

  it("records the case a follow-up belongs to", async () => {
    const path = join(stateDir(), "outbox.jsonl");
    const context = deliveryContext({
      followUp: true,
      case: {
        subjectId: "00u1",
        openedBy: "evt-opening",
        openedKind: "suspended",
        lastPublished: 0,
        lastKind: "suspended",
        receipts: { slack: { sink: "slack", ref: "1762160412.000100" } },
      },
    });
    await Effect.runPromise(outboxSink({ path }).deliver(offboardingEvent({ kind: "unsuspended" }), context));
    expect(readLines(path)[0]).toMatchObject({
      followUp: true,
      caseRef: { openedBy: "evt-opening", openedKind: "suspended", receipts: { slack: "1762160412.000100" } },
    });
  });

  it("records the later event an out-of-order event arrived behind", async () => {
    const path = join(stateDir(), "outbox.jsonl");
    const later = { kind: "reactivated", eventId: "evt-later", occurredAt: "2026-11-04T10:00:00.000Z" } as const;
    const sink = outboxSink({ path });
    await Effect.runPromise(sink.deliver(offboardingEvent(), deliveryContext({ supersededBy: later })));
    await Effect.runPromise(sink.deliver(offboardingEvent(), deliveryContext()));
    const [late, latest] = readLines(path);
    expect(late).toMatchObject({ supersededBy: later });
    expect(latest).not.toHaveProperty("supersededBy");
  });

  it("fails permanently, naming the file, when the path cannot be written", async () => {
    const blocker = join(root, "blocker");
    writeFileSync(blocker, "a file where the state directory should be");
    const path = join(blocker, "outbox.jsonl");
    const error = await Effect.runPromise(
      Effect.flip(outboxSink({ path }).deliver(offboardingEvent(), deliveryContext())),
    );
    expect(error).toMatchObject({ _tag: "SinkError", sink: "outbox", failure: "permanent" });
    expect(error.message).toContain(path);
  });

  it.skipIf(process.getuid?.() === 0)("fails permanently when the file is read-only", async () => {
    const dir = join(stateDir());
    const path = join(dir, "outbox.jsonl");
    await Effect.runPromise(outboxSink({ path }).deliver(offboardingEvent(), deliveryContext()));
    chmodSync(path, 0o444);
    const error = await Effect.runPromise(
      Effect.flip(outboxSink({ path }).deliver(offboardingEvent(), deliveryContext())),
    );
    expect(error).toMatchObject({ sink: "outbox", failure: "permanent", code: "EACCES" });
  });
});

/** An Okta System Log LogEvent (testkit's), for `user`, `minute` minutes into the day's hour. */
const logEvent = (eventType: string, user: { id: string; login: string }, minute: number) =>
  oktaEvent({ eventType, subject: { ...user, displayName: "Jane Doe" }, at: minute * 60 + 12 });

const toOutbox: RoutingPolicy = {
  ...DEFAULT_POLICY,
  routes: {
    suspended: ["outbox"],
    unsuspended: ["outbox"],
    deactivated: ["outbox"],
    reactivated: ["outbox"],
    deleted: ["outbox"],
  },
};

const replay = (dir: string, records: ReadonlyArray<InputRecord>) =>
  Effect.runPromise(
    processBatch(records).pipe(
      Effect.provide(
        Layer.mergeAll(
          PipelineConfig.layer({ policy: toOutbox }),
          HrisDirectory.none,
          sinksLayer([outboxSink({ path: join(dir, "outbox.jsonl") })]),
          SqliteLedger.layer({ path: join(dir, "ledger.sqlite") }),
        ),
      ),
    ),
  );

describe("the outbox behind the real pipeline and the SQLite ledger", () => {
  const jane = { id: "00u1abcdefGHIJKLM357", login: "jane.doe@example.com" };
  const records = (): Array<InputRecord> => {
    const events = [
      logEvent("user.lifecycle.suspend", jane, 1),
      logEvent("user.lifecycle.unsuspend", jane, 2),
      logEvent("user.lifecycle.deactivate", jane, 3),
      logEvent("user.session.start", jane, 4),
    ];
    return [{ id: "input.jsonl", body: events.map((e) => JSON.stringify(e)).join("\n") }];
  };

  it("appends one line per routed event on the first run and nothing when the same input is replayed", async () => {
    const dir = stateDir();
    const input = records();
    const first = await replay(dir, input);
    const afterFirst = readFileSync(join(dir, "outbox.jsonl"), "utf8");
    const second = await replay(dir, input);
    const afterSecond = readFileSync(join(dir, "outbox.jsonl"), "utf8");

    expect(first.map((o) => o.status)).toEqual(["delivered"]);
    expect(readLines(join(dir, "outbox.jsonl")).map((l) => l.kind)).toEqual([
      "suspended",
      "unsuspended",
      "deactivated",
    ]);
    expect(second.map((o) => o.status)).toEqual(["delivered"]);
    expect(second[0]!.events.flatMap((e) => e.sinks.map((s) => s.status))).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
    ]);
    expect(afterSecond).toBe(afterFirst);
  });

  it("threads the follow-up onto the case the earlier event opened", async () => {
    const dir = stateDir();
    await replay(dir, records());
    const [suspended, unsuspended] = readLines(join(dir, "outbox.jsonl"));
    expect(unsuspended).toMatchObject({ followUp: true, caseRef: { openedBy: suspended!.eventId } });
  });
});
