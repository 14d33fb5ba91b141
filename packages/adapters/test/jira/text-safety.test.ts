/**
 * What reaches people in Jira: user-controlled values carry no invisible or reordering characters, the
 * summary never ends in half an emoji, and the description and comments stay within Jira's 32,767
 * characters, saying when something was clipped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  adfLength,
  buildJiraComment,
  CLIPPED_NOTE,
  DESCRIPTION_MAX,
  jiraDescription,
  jiraSummary,
  SUMMARY_MAX,
} from "../../src/jira/issue.ts";
import { deliveryContext, offboardingEvent, reactivation } from "../slack-jira.factories.ts";

const CHECKLIST = ["Revoke sessions", "Recover the laptop"];
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/;

const textsOf = (doc: unknown): Array<string> => {
  const out: Array<string> = [];
  const visit = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (typeof n === "object" && n !== null) {
      const o = n as { text?: unknown; content?: unknown };
      if (typeof o.text === "string") out.push(o.text);
      visit(o.content);
    }
  };
  visit(doc);
  return out;
};

describe("the Jira summary", () => {
  it("is clipped between characters, never inside an emoji", () => {
    const tail = ": Okta user deactivated";
    const room = SUMMARY_MAX - "Offboard ".length - tail.length;
    const event = offboardingEvent({ subject: { id: "00u1", displayName: `${"x".repeat(room - 2)}😀😀😀` } });

    const summary = jiraSummary(event);

    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(summary).toBe(`Offboard ${"x".repeat(room - 2)}…${tail}`);
  });

  it("for any name: at most 255 UTF-16 units, well-formed, nothing invisible", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 400 }), (name) => {
        const summary = jiraSummary(offboardingEvent({ subject: { id: "00u1", displayName: name } }));
        expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(summary)).toBe(false);
        expect(summary).not.toMatch(INVISIBLE);
      }),
    );
  });
});

describe("the Jira description", () => {
  it("has bidi overrides, zero-width and control characters removed from every value", () => {
    const hostile = "Mallory\u202Egnp.exe\u200B\u2066x\u2069\u0007\n\u001b[31m";
    const event = offboardingEvent({
      subject: { id: "00u1", login: `${hostile}@acme.com`, displayName: hostile },
      reason: hostile,
    });

    const texts = textsOf(jiraDescription(event, { _tag: "NotChecked", why: "test" }, CHECKLIST));

    for (const t of texts) expect(t).not.toMatch(INVISIBLE);
    expect(texts).toContain("Mallorygnp.exex");
  });

  it("stays within 32,767 characters with 10 KB names, and says it was clipped", () => {
    const huge = "N".repeat(10_000);
    const event = offboardingEvent({
      subject: { id: huge, login: huge, displayName: huge },
      actor: { id: huge, login: huge, displayName: huge },
      reason: huge,
      transactionId: huge,
    });

    const doc = jiraDescription(event, { _tag: "NotChecked", why: "test" }, CHECKLIST);

    expect(adfLength(doc)).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(textsOf(doc)).toContain(CLIPPED_NOTE);
    expect(textsOf(doc)).toContain("☐ Recover the laptop");
  });

  it("leaves checklist steps out from the end when even short values do not fit, and says so", () => {
    const steps = Array.from({ length: 2_000 }, (_, i) => `Step ${i}: ${"s".repeat(30)}`);
    const event = offboardingEvent();

    const doc = jiraDescription(event, { _tag: "NotChecked", why: "test" }, steps);
    const texts = textsOf(doc);

    expect(adfLength(doc)).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(texts.some((t) => t.startsWith("☐ Step 0:"))).toBe(true);
    expect(texts.some((t) => t.startsWith("☐ Step 1999:"))).toBe(false);
    expect(texts).toContain(CLIPPED_NOTE);
  });

  it("carries no note when nothing was clipped", () => {
    const event = offboardingEvent();

    expect(textsOf(jiraDescription(event, { _tag: "NotChecked", why: "test" }, CHECKLIST))).not.toContain(CLIPPED_NOTE);
  });

  it("for any values: within the limit, nothing invisible", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20_000 }), fc.string({ maxLength: 20_000 }), (name, reason) => {
        const event = offboardingEvent({ subject: { id: "00u1", displayName: name, login: name }, reason });
        const doc = jiraDescription(event, { _tag: "NotChecked", why: "test" }, CHECKLIST);
        expect(adfLength(doc)).toBeLessThanOrEqual(DESCRIPTION_MAX);
        for (const t of textsOf(doc)) expect(t).not.toMatch(INVISIBLE);
      }),
      { numRuns: 50 },
    );
  });
});

describe("a Jira follow-up comment", () => {
  it("stays within 32,767 characters too", () => {
    const huge = "R".repeat(20_000);
    const event = reactivation({ subject: { id: "00u1", displayName: huge, login: huge }, reason: huge });

    const doc = buildJiraComment(event, deliveryContext(event), { name: huge, applied: true });

    expect(adfLength(doc)).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(textsOf(doc)).toContain(CLIPPED_NOTE);
  });
});
