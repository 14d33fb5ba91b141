/**
 * Warnings for configuration keys offboard does not know but that look like its own (a typo such as
 * `SLACK_BOT_TOKN` would otherwise leave a sink silently inactive): every environment variable or
 * secret key with one of offboard's prefixes that is not a known key, with the nearest known name.
 */

/** The prefixes of offboard's configuration keys. */
export const OFFBOARD_KEY_PREFIXES: ReadonlyArray<string> = ["OFFBOARD_", "SLACK_", "JIRA_", "BAMBOOHR_", "OKTA_"];

/** Levenshtein distance, two rows; the inputs are short key names. */
const distance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
};

/** The known name closest to `name`, when one is close enough to be a likely typo. */
export const nearestKey = (name: string, known: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // Within a third of the name's length: SLACK_BOT_TOKN → SLACK_BOT_TOKEN, not OKTA_X → OKTA_ORG_URL.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
};

/**
 * One warning per unknown key with an offboard prefix, in name order: `where` says where it was found
 * ("the environment", "secret offboard/prod"). Key names only: never a value.
 */
export const unknownKeyWarnings = (
  names: Iterable<string>,
  known: ReadonlyArray<string>,
  where: string,
): Array<string> => {
  const knownSet = new Set(known);
  const out: Array<string> = [];
  for (const name of [...new Set(names)].sort()) {
    if (knownSet.has(name) || !OFFBOARD_KEY_PREFIXES.some((p) => name.startsWith(p))) continue;
    const near = nearestKey(name, known);
    out.push(
      `unknown key ${name} in ${where}${near !== undefined ? `: did you mean ${near}?` : ""} (it is ignored; known keys are listed in docs/configuration.md)`,
    );
  }
  return out;
};
