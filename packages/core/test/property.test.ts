import { envelope, oktaEvent } from "@offboard/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, decideBody } from "../src/index.ts";

const verdicts = new Set(["Route", "Ignore", "Reject"]);

const assertTotal = (body: unknown) => {
  const decided = decideBody(body, DEFAULT_POLICY);
  // Only an empty System Log page (or nested empty pages) may yield no decision at all.
  if (decided.length === 0) expect(JSON.stringify(body).replace(/[\s[\],"]/g, "")).toBe("");
  for (const d of decided) expect(verdicts.has(d.decision._tag)).toBe(true);
};

/** LogEvent-shaped values whose fields are replaced by arbitrary JSON. */
const mangledEvent = fc
  .record({
    eventType: fc.oneof(fc.constantFrom("user.lifecycle.deactivate", "user.lifecycle.suspend"), fc.jsonValue()),
    uuid: fc.jsonValue(),
    published: fc.jsonValue(),
    actor: fc.jsonValue(),
    target: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue())),
    outcome: fc.jsonValue(),
    client: fc.jsonValue(),
    request: fc.jsonValue(),
    transaction: fc.jsonValue(),
  })
  .map((fields) => ({ ...oktaEvent(), ...fields }));

describe("decode + decide never throw", () => {
  it("returns a decision for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => assertTotal(v)),
      { numRuns: 500 },
    );
  });

  it("returns a decision for any string", () => {
    fc.assert(
      fc.property(fc.string(), (s) => assertTotal(s)),
      { numRuns: 500 },
    );
  });

  it("returns a decision for JSON text of any value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => assertTotal(JSON.stringify(v) ?? "null")),
      { numRuns: 300 },
    );
  });

  it("returns a decision for LogEvents and envelopes with any field mangled", () => {
    fc.assert(
      fc.property(mangledEvent, fc.boolean(), (ev, wrap) => assertTotal(wrap ? envelope(ev) : ev)),
      { numRuns: 500 },
    );
  });

  it("returns a decision for any object shaped like a delivery envelope", () => {
    const shaped = fc.record({
      "detail-type": fc.jsonValue(),
      source: fc.oneof(fc.constant("aws.partner/okta.com/acme/x"), fc.jsonValue()),
      detail: fc.jsonValue(),
      data: fc.oneof(fc.record({ events: fc.jsonValue() }), fc.jsonValue()),
      Records: fc.jsonValue(),
    });
    fc.assert(
      fc.property(shaped, (v) => assertTotal(v)),
      { numRuns: 500 },
    );
  });
});
