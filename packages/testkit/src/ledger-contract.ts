import { type CaseRecord, type Claim, DeliveryLedger, type Receipt } from "@offboard/core";
import { Duration, Effect, type Layer } from "effect";
import { describe, expect, it } from "vitest";

/**
 * The behaviours every `DeliveryLedger` must have, as one vitest `describe` block. Run it against each
 * implementation (in memory, SQLite, DynamoDB):
 *
 * ```ts
 * describeLedgerContract("SqliteLedger", () => SqliteLedger.layer({ path: tempFile() }));
 * ```
 *
 * `makeLayer` is called once per test and may hand back a fresh store each time or a shared one: every
 * test uses its own event and subject ids, so tests never see each other's rows. Leases are measured
 * with whatever clock the ledger uses; the expiry tests use a lease of a few milliseconds and wait for
 * it in real time, so they hold for ledgers that read the wall clock as well as for effect's `Clock`.
 */
export type LedgerLayerFactory = () =>
  | Layer.Layer<DeliveryLedger, unknown>
  | Promise<Layer.Layer<DeliveryLedger, unknown>>;

/** A lease long enough never to expire during a test. */
const LONG_LEASE_MS = 60_000;
/** A lease short enough to expire after `EXPIRY_WAIT_MS`. */
const SHORT_LEASE_MS = 5;
const EXPIRY_WAIT_MS = 40;

let seq = 0;
const unique = (label: string) => {
  seq += 1;
  return `${label}-${Date.now().toString(36)}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
};

const receiptFor = (sink: string, ref: string): Receipt => ({
  sink,
  ref,
  url: `https://example.test/${ref}`,
  detail: { channel: "C0123456789" },
});

const caseRecord = (subjectId: string, overrides: Partial<CaseRecord> = {}): CaseRecord => ({
  subjectId,
  openedBy: unique("event"),
  openedKind: "deactivated",
  lastPublished: Date.parse("2026-11-03T09:00:12.345Z"),
  lastKind: "deactivated",
  receipts: {
    slack: { sink: "slack", ref: "1762160412.000100", detail: { channel: "C0123456789" } },
    jira: { sink: "jira", ref: "IT-42", url: "https://acme.atlassian.net/browse/IT-42" },
  },
  ...overrides,
});

const expectClaimed = (claim: Claim): Extract<Claim, { _tag: "Claimed" }> => {
  expect(claim._tag).toBe("Claimed");
  if (claim._tag !== "Claimed") throw new Error(`expected Claimed, got ${claim._tag}`);
  return claim;
};

const waitForExpiry = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, EXPIRY_WAIT_MS)));

export const describeLedgerContract = (name: string, makeLayer: LedgerLayerFactory): void => {
  const run = async <A>(program: Effect.Effect<A, unknown, DeliveryLedger>): Promise<A> => {
    const layer = await makeLayer();
    return Effect.runPromise(Effect.provide(program, layer));
  };

  describe(`${name} (DeliveryLedger contract)`, () => {
    it("grants the first claim of an (event, sink) with a token and a lease end in the future", async () => {
      const eventId = unique("event");
      const { claim, before } = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const before = Date.now();
          return { claim: yield* ledger.claim(eventId, "slack", LONG_LEASE_MS), before };
        }),
      );
      const claimed = expectClaimed(claim);
      expect(claimed.token.length).toBeGreaterThan(0);
      expect(claimed.leaseUntil).toBeGreaterThanOrEqual(before + LONG_LEASE_MS - 1_000);
    });

    it("answers Busy, with the holder's lease end, to a second claim while the first lease holds", async () => {
      const eventId = unique("event");
      const [first, second] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const first = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          const second = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [first, second] as const;
        }),
      );
      const claimed = expectClaimed(first);
      expect(second).toEqual({ _tag: "Busy", leaseUntil: claimed.leaseUntil });
    });

    it("answers Completed with the same receipt once the delivery is complete", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("slack", "1762160412.000100");
      const [again, later] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const claimed = expectClaimed(yield* ledger.claim(eventId, "slack", LONG_LEASE_MS));
          yield* ledger.complete(eventId, "slack", claimed.token, receipt);
          const again = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          const later = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [again, later] as const;
        }),
      );
      expect(again).toEqual({ _tag: "Completed", receipt });
      expect(later).toEqual({ _tag: "Completed", receipt });
    });

    it("still answers Completed after the lease of the completed claim would have expired", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("jira", "IT-7");
      const after = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const claimed = expectClaimed(yield* ledger.claim(eventId, "jira", SHORT_LEASE_MS));
          yield* ledger.complete(eventId, "jira", claimed.token, receipt);
          yield* waitForExpiry;
          return yield* ledger.claim(eventId, "jira", LONG_LEASE_MS);
        }),
      );
      expect(after).toEqual({ _tag: "Completed", receipt });
    });

    it("lets the next claim succeed at once after the holder releases", async () => {
      const eventId = unique("event");
      const [first, next] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const first = expectClaimed(yield* ledger.claim(eventId, "slack", LONG_LEASE_MS));
          yield* ledger.release(eventId, "slack", first.token);
          const next = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [first, next] as const;
        }),
      );
      const claimed = expectClaimed(next);
      expect(claimed.token).not.toBe(first.token);
    });

    it("lets another attempt claim once the lease has expired", async () => {
      const eventId = unique("event");
      const [first, retry] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const first = expectClaimed(yield* ledger.claim(eventId, "slack", SHORT_LEASE_MS));
          yield* waitForExpiry;
          const retry = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [first, retry] as const;
        }),
      );
      const claimed = expectClaimed(retry);
      expect(claimed.token).not.toBe(first.token);
      expect(claimed.leaseUntil).toBeGreaterThan(first.leaseUntil);
    });

    it("does not free the current holder's lease when a release comes with a stale token", async () => {
      const eventId = unique("event");
      const [current, afterStaleRelease] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const crashed = expectClaimed(yield* ledger.claim(eventId, "slack", SHORT_LEASE_MS));
          yield* waitForExpiry;
          const current = expectClaimed(yield* ledger.claim(eventId, "slack", LONG_LEASE_MS));
          yield* ledger.release(eventId, "slack", crashed.token);
          const afterStaleRelease = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [current, afterStaleRelease] as const;
        }),
      );
      expect(afterStaleRelease).toEqual({ _tag: "Busy", leaseUntil: current.leaseUntil });
    });

    it("does not undo a completed delivery when a release comes afterwards", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("slack", "1762160412.000200");
      const after = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const claimed = expectClaimed(yield* ledger.claim(eventId, "slack", LONG_LEASE_MS));
          yield* ledger.complete(eventId, "slack", claimed.token, receipt);
          yield* ledger.release(eventId, "slack", claimed.token);
          return yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
        }),
      );
      expect(after).toEqual({ _tag: "Completed", receipt });
    });

    it("keeps claims for different sinks of one event independent", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("jira", "IT-9");
      const [slack, jiraAgain, slackAgain] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const jira = expectClaimed(yield* ledger.claim(eventId, "jira", LONG_LEASE_MS));
          const slack = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          yield* ledger.complete(eventId, "jira", jira.token, receipt);
          const jiraAgain = yield* ledger.claim(eventId, "jira", LONG_LEASE_MS);
          const slackAgain = yield* ledger.claim(eventId, "slack", LONG_LEASE_MS);
          return [slack, jiraAgain, slackAgain] as const;
        }),
      );
      const slackClaim = expectClaimed(slack);
      expect(jiraAgain).toEqual({ _tag: "Completed", receipt });
      expect(slackAgain).toEqual({ _tag: "Busy", leaseUntil: slackClaim.leaseUntil });
    });

    it("keeps claims for the same sink of different events independent", async () => {
      const [a, b] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const a = yield* ledger.claim(unique("event"), "slack", LONG_LEASE_MS);
          const b = yield* ledger.claim(unique("event"), "slack", LONG_LEASE_MS);
          return [a, b] as const;
        }),
      );
      expectClaimed(a);
      expectClaimed(b);
    });

    it("grants exactly one of many concurrent claims on one (event, sink)", async () => {
      const eventId = unique("event");
      const claims = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          return yield* Effect.all(
            Array.from({ length: 16 }, () => ledger.claim(eventId, "slack", LONG_LEASE_MS)),
            { concurrency: "unbounded" },
          );
        }),
      );
      const winners = claims.filter((c) => c._tag === "Claimed");
      expect(winners).toHaveLength(1);
      expect(claims.filter((c) => c._tag === "Busy")).toHaveLength(15);
    });

    it("claims every free sink of an event at once and answers for each taken one", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("jira", "IT-11");
      const claims = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const jira = expectClaimed(yield* ledger.claim(eventId, "jira", LONG_LEASE_MS));
          yield* ledger.complete(eventId, "jira", jira.token, receipt);
          const hris = expectClaimed(yield* ledger.claim(eventId, "hris", LONG_LEASE_MS));
          const all = yield* ledger.claimAll(eventId, ["slack", "jira", "hris", "webhook"], LONG_LEASE_MS);
          return { all, hris };
        }),
      );
      expectClaimed(claims.all.get("slack")!);
      expectClaimed(claims.all.get("webhook")!);
      expect(claims.all.get("jira")).toEqual({ _tag: "Completed", receipt });
      expect(claims.all.get("hris")).toEqual({ _tag: "Busy", leaseUntil: claims.hris.leaseUntil });
      expect(claims.all.size).toBe(4);
    });

    it("grants each sink of an event to exactly one of many concurrent claims of all its sinks", async () => {
      const eventId = unique("event");
      const sinks = ["slack", "jira"];
      const rounds = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          return yield* Effect.all(
            Array.from({ length: 8 }, () => ledger.claimAll(eventId, sinks, LONG_LEASE_MS)),
            { concurrency: "unbounded" },
          );
        }),
      );
      for (const sink of sinks) {
        expect(rounds.filter((claims) => claims.get(sink)?._tag === "Claimed")).toHaveLength(1);
        expect(rounds.filter((claims) => claims.get(sink)?._tag === "Busy")).toHaveLength(7);
      }
    });

    it("settles an event at once: receipts recorded, failed leases given back", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("slack", "1762160412.000300");
      const [afterwards, slackAgain] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const claims = yield* ledger.claimAll(eventId, ["slack", "jira"], LONG_LEASE_MS);
          const token = expectClaimed(claims.get("slack")!).token;
          yield* ledger.settle(eventId, [
            { sink: "slack", token, receipt },
            { sink: "jira", token: expectClaimed(claims.get("jira")!).token },
          ]);
          const afterwards = yield* ledger.claimAll(eventId, ["slack", "jira"], LONG_LEASE_MS);
          return [afterwards, yield* ledger.claim(eventId, "slack", LONG_LEASE_MS)] as const;
        }),
      );
      expect(afterwards.get("slack")).toEqual({ _tag: "Completed", receipt });
      expectClaimed(afterwards.get("jira")!);
      expect(slackAgain).toEqual({ _tag: "Completed", receipt });
    });

    it("records the receipts of a settlement even when one of its releases comes too late", async () => {
      const eventId = unique("event");
      const receipt = receiptFor("slack", "1762160412.000400");
      const [jiraNow, slackNow, current] = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const stale = yield* ledger.claimAll(eventId, ["slack", "jira"], SHORT_LEASE_MS);
          yield* waitForExpiry;
          const current = expectClaimed(yield* ledger.claim(eventId, "jira", LONG_LEASE_MS));
          yield* ledger.settle(eventId, [
            { sink: "slack", token: expectClaimed(stale.get("slack")!).token, receipt },
            { sink: "jira", token: expectClaimed(stale.get("jira")!).token },
          ]);
          return [
            yield* ledger.claim(eventId, "jira", LONG_LEASE_MS),
            yield* ledger.claim(eventId, "slack", LONG_LEASE_MS),
            current,
          ] as const;
        }),
      );
      expect(jiraNow).toEqual({ _tag: "Busy", leaseUntil: current.leaseUntil });
      expect(slackNow).toEqual({ _tag: "Completed", receipt });
    });

    it("keeps the first receipt when a delivery is recorded twice", async () => {
      const eventId = unique("event");
      const first = receiptFor("jira", "IT-21");
      const found = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const claimed = expectClaimed(yield* ledger.claim(eventId, "jira", LONG_LEASE_MS));
          yield* ledger.settle(eventId, [{ sink: "jira", token: claimed.token, receipt: first }]);
          yield* ledger.settle(eventId, [{ sink: "jira", token: claimed.token, receipt: receiptFor("jira", "IT-22") }]);
          return yield* ledger.claim(eventId, "jira", LONG_LEASE_MS);
        }),
      );
      expect(found).toEqual({ _tag: "Completed", receipt: first });
    });

    it("reads the cases of many subjects at once, leaving out those it has never seen", async () => {
      const records = Array.from({ length: 120 }, () => caseRecord(unique("00u")));
      const unknown = unique("00u");
      const found = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* Effect.forEach(records, (r) => ledger.putCase(r), { discard: true });
          return yield* ledger.getCases([...records.map((r) => r.subjectId), unknown, records[0]!.subjectId]);
        }),
      );
      expect(found.size).toBe(records.length);
      for (const r of records) expect(found.get(r.subjectId)).toEqual(r);
      expect(found.has(unknown)).toBe(false);
    });

    it("has no case for a subject it has never seen", async () => {
      const found = await run(DeliveryLedger.use((ledger) => ledger.getCase(unique("00u"))));
      expect(found).toBeUndefined();
    });

    it("returns the case record it was given, receipts included", async () => {
      const record = caseRecord(unique("00u"));
      const found = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.putCase(record);
          return yield* ledger.getCase(record.subjectId);
        }),
      );
      expect(found).toEqual(record);
    });

    it("keeps the later case when an older one is put after it", async () => {
      const subjectId = unique("00u");
      const later = caseRecord(subjectId, { lastKind: "reactivated" });
      const older = caseRecord(subjectId, {
        lastKind: "deactivated",
        lastPublished: later.lastPublished - Duration.toMillis(Duration.hours(1)),
      });
      const found = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.putCase(later);
          yield* ledger.putCase(older);
          return yield* ledger.getCase(subjectId);
        }),
      );
      expect(found).toEqual(later);
    });

    it("replaces a subject's case record on a later put", async () => {
      const subjectId = unique("00u");
      const first = caseRecord(subjectId);
      const second = caseRecord(subjectId, {
        lastKind: "reactivated",
        lastPublished: first.lastPublished + Duration.toMillis(Duration.hours(1)),
      });
      const found = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.putCase(first);
          yield* ledger.putCase(second);
          return yield* ledger.getCase(subjectId);
        }),
      );
      expect(found).toEqual(second);
    });

    it("has no shared record under a key never written", async () => {
      const found = await run(DeliveryLedger.use((ledger) => ledger.getShared(unique("pace"))));
      expect(found).toBeUndefined();
    });

    it("creates a shared record once: a second create of the same key is refused", async () => {
      const key = unique("pace");
      const { first, second, found } = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const first = yield* ledger.putShared(key, '{"n":1}', undefined, LONG_LEASE_MS);
          const second = yield* ledger.putShared(key, '{"n":2}', undefined, LONG_LEASE_MS);
          return { first, second, found: yield* ledger.getShared(key) };
        }),
      );
      expect([first, second]).toEqual([true, false]);
      expect(found).toEqual({ value: '{"n":1}', version: 1 });
    });

    it("replaces a shared record only at the version read, and counts versions up", async () => {
      const key = unique("digest");
      const { stale, fresh, found } = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.putShared(key, "a", undefined, LONG_LEASE_MS);
          const fresh = yield* ledger.putShared(key, "b", 1, LONG_LEASE_MS);
          const stale = yield* ledger.putShared(key, "c", 1, LONG_LEASE_MS);
          return { stale, fresh, found: yield* ledger.getShared(key) };
        }),
      );
      expect([fresh, stale]).toEqual([true, false]);
      expect(found).toEqual({ value: "b", version: 2 });
    });

    it("loses no update when many writers read-modify-write one shared record at once", async () => {
      const key = unique("count");
      const writers = 12;
      const increment = Effect.gen(function* () {
        const ledger = yield* DeliveryLedger;
        for (;;) {
          const current = yield* ledger.getShared(key);
          const n = current === undefined ? 0 : Number(current.value);
          if (yield* ledger.putShared(key, String(n + 1), current?.version, LONG_LEASE_MS)) return;
        }
      });
      const found = await run(
        Effect.gen(function* () {
          yield* Effect.all(
            Array.from({ length: writers }, () => increment),
            { concurrency: "unbounded" },
          );
          return yield* DeliveryLedger.use((ledger) => ledger.getShared(key));
        }),
      );
      expect(found?.value).toBe(String(writers));
      expect(found?.version).toBe(writers);
    });

    it("has an empty shared list under a key never appended to", async () => {
      const found = await run(DeliveryLedger.use((ledger) => ledger.listShared(unique("list"))));
      expect(found).toEqual({ size: 0, items: [] });
    });

    it("hands out each position of a shared list once when many writers append at once, and lists them in order", async () => {
      const key = unique("list");
      const { positions, list } = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          const positions = yield* Effect.all(
            Array.from({ length: 20 }, (_, i) => ledger.appendShared(key, `item-${i}`, LONG_LEASE_MS)),
            { concurrency: "unbounded" },
          );
          return { positions, list: yield* ledger.listShared(key) };
        }),
      );
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(list.size).toBe(20);
      expect(list.items.map((i) => i.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      for (const [i, position] of positions.entries()) {
        expect(list.items[position]?.item).toBe(`item-${i}`);
      }
    });

    it("forgets a shared record once its time is up, and lets it be created anew", async () => {
      const key = unique("pace");
      const { gone, created, found } = await run(
        Effect.gen(function* () {
          const ledger = yield* DeliveryLedger;
          yield* ledger.putShared(key, "old", undefined, SHORT_LEASE_MS);
          yield* waitForExpiry;
          const gone = yield* ledger.getShared(key);
          const created = yield* ledger.putShared(key, "new", undefined, LONG_LEASE_MS);
          return { gone, created, found: yield* ledger.getShared(key) };
        }),
      );
      expect(gone).toBeUndefined();
      expect(created).toBe(true);
      expect(found?.value).toBe("new");
    });
  });
};
