import { envelope, oktaEvent } from "@offboard/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, decideBody, queueTrust } from "../src/index.ts";

/**
 * 10,000 mutated and oversized events through decode + decide. The assertion is that every one gets
 * a decision (and an oversized one is never routed); the timing figures are printed for the report,
 * never asserted (no timed assertions in tests: the benchmarks measure).
 */

const FIELDS = [
  "uuid",
  "published",
  "eventType",
  "displayMessage",
  "actor",
  "target",
  "outcome",
  "client",
  "transaction",
  "request",
];

/** A string up to about 300 KB: small, near a limit, over it, or shaped to hurt a backtracking regex. */
const nasty = fc.oneof(
  { weight: 20, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 300 }).map((n) => "u".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 65_000, max: 300_000 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 240_000 }).map((n) => `${"a".repeat(n)}@`) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 100_000 }).map((n) => "a@".repeat(n)) },
);

const user = (id: string, login: string) => ({ id, type: "User", alternateId: login, displayName: login.slice(0, 50) });

const mutation = fc.oneof(
  // One field replaced by a nasty string.
  fc.tuple(fc.constantFrom(...FIELDS), nasty).map(([k, v]) => ({ [k]: v })),
  // A User target with a nasty id or login.
  fc.tuple(nasty, nasty).map(([id, login]) => ({ target: [user(id, login)] })),
  // Many targets.
  fc
    .integer({ min: 100, max: 1_000 })
    .map((n) => ({ target: Array.from({ length: n }, (_, i) => user(`00u${i}`, `u${i}@x.io`)) })),
  // Arbitrary JSON in a field.
  fc.tuple(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 4 })).map(([k, v]) => ({ [k]: v })),
);

const body = fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ms, wrap]) => {
  const ev = oktaEvent(Object.assign({}, ...ms));
  return JSON.stringify(wrap ? envelope(ev) : ev);
});

const EVENTS = 10_000;

describe("fuzz: decode + decide on mutated and oversized events", () => {
  it(`gives each of ${EVENTS} events a decision`, () => {
    let total = 0;
    let max = 0;
    let bytes = 0;
    const tags = new Map<string, number>();
    fc.assert(
      fc.property(body, fc.boolean(), (text, queue) => {
        const started = performance.now();
        const decided = decideBody(text, DEFAULT_POLICY, queue ? queueTrust() : undefined);
        const took = performance.now() - started;
        total += took;
        max = Math.max(max, took);
        bytes += text.length;
        expect(decided.length).toBeGreaterThan(0);
        for (const d of decided) {
          const tag = d.decision._tag === "Reject" ? `reject:${d.decision.error.code}` : d.decision._tag;
          tags.set(tag, (tags.get(tag) ?? 0) + 1);
          if (d.decision._tag === "Route") {
            expect(d.decision.event.id.length).toBeLessThanOrEqual(256);
            expect(d.decision.event.subject.id.length).toBeLessThanOrEqual(256);
          }
        }
      }),
      { numRuns: EVENTS, seed: 10 },
    );
    console.info(
      `fuzz: ${EVENTS} events, ${(bytes / 1e6).toFixed(1)} MB, total ${total.toFixed(0)} ms, ` +
        `mean ${(total / EVENTS).toFixed(3)} ms, max ${max.toFixed(1)} ms per event; ` +
        [...tags.entries()].map(([t, n]) => `${t} ${n}`).join(", "),
    );
  }, 300_000);
});
