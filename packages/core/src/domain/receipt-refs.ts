/**
 * The receipt refs a sink records when it ran but made nothing (no ticket, no message): a follow-up on
 * the case must not take one for a ticket key or a message ts to build on.
 */
export const RECEIPT_REF = {
  /** Nothing to act on (a follow-up with no earlier ticket, or the ticket is gone). */
  none: "none",
  /** This kind is not one the sink acts on (e.g. not in JIRA_KINDS). */
  skipped: "skipped",
  /** The event arrived after a later one of the same user; the sink left the case alone. */
  superseded: "superseded",
} as const;

/** A receipt `ref` that names no artefact (a skipped or superseded delivery), one of `RECEIPT_REF`. */
export type PlaceholderRef = (typeof RECEIPT_REF)[keyof typeof RECEIPT_REF];

const PLACEHOLDERS: ReadonlySet<string> = new Set(Object.values(RECEIPT_REF));

/** True when a receipt's ref names something the sink made (a ticket key, a message ts). */
export const refNamesArtefact = (ref: string): boolean => !PLACEHOLDERS.has(ref);
