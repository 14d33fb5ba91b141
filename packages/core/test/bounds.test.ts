import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, decideBody, looksLikeEmail, MAX_FIELD_LENGTH, MAX_ID_LENGTH } from "../src/index.ts";

const decideOne = (ev: unknown) => {
  const [d] = decideBody(JSON.stringify(envelope(ev)), DEFAULT_POLICY);
  if (d === undefined) throw new Error("no decision");
  return d.decision;
};
const rejectCode = (ev: unknown) => {
  const d = decideOne(ev);
  return d._tag === "Reject" ? d.error.code : d._tag;
};

describe("bounded input", () => {
  it("accepts a uuid and a subject id of 256 characters", () => {
    const ev = oktaEvent({ uuid: "u".repeat(MAX_ID_LENGTH), target: [oktaUser({ id: "0".repeat(MAX_ID_LENGTH) })] });
    expect(rejectCode(ev)).toBe("Route");
  });

  it("rejects a uuid over 256 characters as field-too-long, naming the field", () => {
    const d = decideOne(oktaEvent({ uuid: "u".repeat(3000) }));
    expect(d._tag).toBe("Reject");
    if (d._tag === "Reject") {
      expect(d.error.code).toBe("field-too-long");
      expect(d.error.message).toContain("uuid is 3000 characters long");
    }
  });

  it("rejects a subject id over 256 characters as field-too-long", () => {
    expect(rejectCode(oktaEvent({ target: [oktaUser({ id: "0".repeat(3000) })] }))).toBe("field-too-long");
  });

  it("rejects any other field over 64 KB as field-too-long", () => {
    const huge = "a".repeat(MAX_FIELD_LENGTH + 1);
    expect(rejectCode(oktaEvent({ displayMessage: huge }))).toBe("field-too-long");
    expect(rejectCode(oktaEvent({ target: [oktaUser({ login: `${huge}@example.com` })] }))).toBe("field-too-long");
    expect(rejectCode(oktaEvent({ outcome: { result: "SUCCESS", reason: huge } }))).toBe("field-too-long");
  });

  it("leaves an unhandled event type with a long field to be ignored, not rejected", () => {
    const ev = oktaEvent({ eventType: "user.session.start", displayMessage: "a".repeat(MAX_FIELD_LENGTH + 1) });
    expect(rejectCode(ev)).toBe("Ignore");
  });
});

describe("looksLikeEmail", () => {
  const regex = (s: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s) && !s.endsWith("@deleted.invalid");

  it("agrees with the regex it replaces on every string up to 254 characters", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "b", ".", "@", " ", "\t", "\u00a0", "\u3000", "-", "é") });
    fc.assert(
      fc.property(
        fc.oneof(
          part,
          fc.tuple(part, part, part).map(([a, b, c]) => `${a}@${b}.${c}`),
        ),
        (s) => {
          fc.pre(s.length <= 254);
          expect(looksLikeEmail(s)).toBe(regex(s));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    ["jane@example.com", true],
    ["jane.doe+x@sub.example.co", true],
    ["jane@example", false],
    ["jane@.com", false],
    ["@example.com", false],
    ["ja ne@example.com", false],
    ["a@b@example.com", false],
    ["00u1abc@deleted.invalid", false],
  ])("%s → %s", (s, want) => {
    expect(looksLikeEmail(s)).toBe(want);
  });

  it("refuses a login longer than an email address can be, without scanning it", () => {
    expect(looksLikeEmail(`${"a".repeat(240_000)}@example.com`)).toBe(false);
  });
});
