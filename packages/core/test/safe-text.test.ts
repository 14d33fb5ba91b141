import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clipText, isInvisibleFormatting, safeText } from "../src/text/safe-text.ts";

const INVISIBLE = [
  ...Array.from({ length: 5 }, (_, i) => 0x202a + i),
  ...Array.from({ length: 4 }, (_, i) => 0x2066 + i),
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f,
  0x2060,
  0xfeff,
].map((c) => String.fromCharCode(c));

/** Any string, with a good share of the characters that matter here. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 4 }),
      fc.constantFrom(...INVISIBLE, "\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\u009b", "\n", "\r\n", "\t"),
      fc.constantFrom("\u001b[31m", "\u001b]8;;https://evil\u001b\\", "\u001b]0;title\u0007", "\u009b2J"),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

const isControl = (c: number) => c < 0x20 || (c >= 0x7f && c <= 0x9f);

describe("safeText", () => {
  it("keeps ordinary text of any script as it is", () => {
    expect(safeText("Zoë O'Brien-Łukasz 山田 <a@b.c> 👩‍💻 *bold*")).toBe("Zoë O'Brien-Łukasz 山田 <a@b.c> 👩‍💻 *bold*");
  });

  it("keeps the zero-width joiner of an emoji sequence, and only there", () => {
    expect(safeText("👩\u200D💻 ❤\uFE0F\u200D🔥 👍🏽\u200D")).toBe("👩\u200D💻 ❤\uFE0F\u200D🔥 👍🏽");
    expect(safeText("pay\u200Dpal a\u200D👩")).toBe("paypal a👩");
  });

  it("removes bidi overrides, isolates and zero-width characters", () => {
    expect(safeText("Mallory\u202Egnp.exe")).toBe("Mallorygnp.exe");
    expect(safeText("a\u2066b\u2069c\u200Bd\u200Ce\u200Df\u2060g\uFEFFh\u200Ei\u200Fj")).toBe("abcdefghij");
  });

  it("removes ANSI escape sequences and C0/C1 controls; line breaks become one space", () => {
    expect(safeText("a\u001b[1;31mb\u001b]8;;https://evil\u001b\\c\u009b2Jd\u0000e\u0085f")).toBe("abcde f");
    expect(safeText('forged\n{"level":"INFO"}\r\n\tend')).toBe('forged {"level":"INFO"} end');
  });

  it("leaves no control, bidi or zero-width character in any input, and is idempotent", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = safeText(s);
        for (let i = 0; i < out.length; i++) {
          const c = out.charCodeAt(i);
          expect(isControl(c) || isInvisibleFormatting(c) || c === 0x2028 || c === 0x2029).toBe(false);
        }
        expect(safeText(out)).toBe(out);
      }),
    );
  });
});

describe("clipText", () => {
  it("returns text within the limit unchanged", () => {
    expect(clipText("short", 255)).toBe("short");
  });

  it("never ends in half an emoji", () => {
    const summary = `${"x".repeat(253)}😀😀`;

    expect(clipText(summary, 255)).toBe(`${"x".repeat(253)}…`);
    expect(clipText(`${"x".repeat(252)}👨‍👩‍👧 tail`, 255)).toBe(`${"x".repeat(252)}…`);
  });

  it("for any text and limit: within the limit, well-formed, and a prefix of the text plus the ellipsis", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.integer({ min: 1, max: 300 }), (text, max) => {
        const out = clipText(text, max);

        expect(out.length).toBeLessThanOrEqual(max);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)).toBe(false);
        if (text.length <= max) expect(out).toBe(text);
        else expect(text.startsWith(out.slice(0, -1))).toBe(true);
      }),
    );
  });
});
