/**
 * Text safety for values nobody vetted (an Okta user's display name, login, an admin's reason): what
 * a person is shown must be what the text says. Domain-neutral, so every place that shows such a value
 * (Slack, Jira, the terminal preview) uses the same rules.
 */

const ESC = 0x1b;
const CSI_8BIT = 0x9b;
const BEL = 0x07;

/**
 * Characters that change how the text around them is read without being seen themselves: Unicode
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
 * (U+200E, U+200F, U+061C); zero-width characters (U+200B–U+200D, U+2060, U+FEFF); the invisible
 * operators U+2061–U+2064; and the soft hyphen (U+00AD). (`safeText` keeps a zero-width joiner only
 * inside an emoji sequence such as 👩‍💻, where it joins two pictographs and hides nothing.)
 */
export const isInvisibleFormatting = (code: number): boolean =>
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069) ||
  (code >= 0x200b && code <= 0x200f) ||
  (code >= 0x2060 && code <= 0x2064) ||
  code === 0x061c ||
  code === 0xfeff ||
  code === 0x00ad;

const EMOJI_BEFORE = /(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;
const ZWJ = 0x200d;

/** Line breaks of any kind: they become one space. */
const isBreak = (code: number) =>
  code === 0x09 ||
  code === 0x0a ||
  code === 0x0b ||
  code === 0x0c ||
  code === 0x0d ||
  code === 0x85 ||
  code === 0x2028 ||
  code === 0x2029;

/**
 * One line of plain, visible text: drops ANSI escape sequences (CSI, OSC, DCS, APC, PM and two-character
 * escapes), every other C0/C1 control character, bidi controls and zero-width characters; tabs and line
 * breaks become single spaces; the result is trimmed. Everything else (letters of any script, emoji,
 * punctuation) is kept as it is.
 *
 * @example
 * safeText("Mallory\u202Egnp.exe\u200B\n<!channel>") // "Mallorygnp.exe <!channel>"
 */
export const safeText = (input: string): string => {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const code = input.charCodeAt(i);
    if (code === ESC || code === CSI_8BIT) {
      const kind = code === CSI_8BIT ? 0x5b : input.charCodeAt(i + 1);
      i += code === CSI_8BIT ? 1 : 2;
      if (kind === 0x5b) {
        // CSI: parameter and intermediate bytes, then one final byte in @..~
        while (i < input.length) {
          const c = input.charCodeAt(i);
          i += 1;
          if (c >= 0x40 && c <= 0x7e) break;
        }
      } else if (kind === 0x5d || kind === 0x50 || kind === 0x5f || kind === 0x5e) {
        // OSC, DCS, APC, PM: a string ended by BEL or ESC \
        while (i < input.length) {
          const c = input.charCodeAt(i);
          if (c === BEL) {
            i += 1;
            break;
          }
          if (c === ESC && input.charCodeAt(i + 1) === 0x5c) {
            i += 2;
            break;
          }
          i += 1;
        }
      }
      continue;
    }
    if (isBreak(code)) {
      if (out.length > 0 && !out.endsWith(" ")) out += " ";
    } else if (code >= 0x20 && (code < 0x7f || code > 0x9f) && !isInvisibleFormatting(code)) {
      out += input[i];
    } else if (code === ZWJ && EMOJI_BEFORE.test(out) && EMOJI_AFTER.test(input.slice(i + 1, i + 3))) {
      out += input[i];
    }
    i += 1;
  }
  return out.trim();
};

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Clips text to at most `max` UTF-16 code units (what JavaScript's `length` and Java-based services
 * such as Jira count), `ellipsis` included, cutting only between grapheme clusters: never inside a
 * surrogate pair, an emoji sequence or a letter with its combining marks. Text within `max` is
 * returned unchanged.
 */
export const clipText = (text: string, max: number, ellipsis = "…"): string => {
  if (text.length <= max) return text;
  const budget = max - ellipsis.length;
  if (budget <= 0) return ellipsis.slice(0, Math.max(0, max));
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (index + segment.length > budget) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}${ellipsis}`;
};
