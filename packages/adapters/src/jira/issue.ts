import type { DeliveryContext, HrisStatus, OffboardingEvent } from "@offboard/core";
import { clipText, hrisLine, personLabel, personName, safeText } from "@offboard/core";

/**
 * The pure Jira issue builder for the Jira sink: summary, labels and the Atlassian Document Format
 * (ADF) description and comments. No client, no I/O; the console preview and docs reuse it.
 * Every user-controlled string goes into an ADF `text` node, which Jira renders literally (ADF has no
 * wiki markup to inject), as one line of visible text (`safeText`: no bidi overrides, zero-width or
 * control characters). The summary is one plain line capped at Jira's 255 characters; the description
 * and comments stay within Jira's 32,767 characters, saying so when something had to be clipped. Clips
 * never split an emoji or a letter from its accents (`clipText`).
 */

/** The settings the issue depends on (a subset of `JiraSettings`). */
export interface JiraIssueSettings {
  readonly projectKey: string;
  readonly issueType: string;
  readonly checklist: ReadonlyArray<string>;
  readonly labels: ReadonlyArray<string>;
}

/** An ADF node (the subset this builder emits). */
export interface AdfNode {
  readonly type: string;
  readonly text?: string;
  readonly attrs?: Readonly<Record<string, unknown>>;
  readonly marks?: ReadonlyArray<{ readonly type: string; readonly attrs?: Readonly<Record<string, unknown>> }>;
  readonly content?: ReadonlyArray<AdfNode>;
}

/** An ADF document: `{ type: "doc", version: 1, content }`. */
export interface AdfDoc {
  readonly type: "doc";
  readonly version: 1;
  readonly content: ReadonlyArray<AdfNode>;
}

/** The entity property stored on every issue offboard creates (key `offboard`). */
export const JIRA_PROPERTY_KEY = "offboard";
/** The label on every offboarding issue. */
export const JIRA_BASE_LABEL = "okta-offboarding";

export interface OffboardProperty {
  readonly eventId: string;
  readonly kind: string;
  readonly subjectId: string;
}

/** The fields of the create-issue request. */
export interface JiraIssueFields {
  readonly project: { readonly key: string };
  readonly issuetype: { readonly name: string };
  readonly summary: string;
  readonly description: AdfDoc;
  readonly labels: ReadonlyArray<string>;
}

/** One line of visible text: control, bidi and zero-width characters removed, runs of spaces as one. */
export const oneLine = (s: string): string => safeText(s).replace(/\s+/g, " ");

/** Jira's summary limit. */
export const SUMMARY_MAX = 255;

/**
 * Jira's limit for a description or a comment: 32,767 characters. offboard counts the serialized ADF
 * document, the stricter reading of the limit, so what it sends is within it however Jira counts.
 */
export const DESCRIPTION_MAX = 32_767;

/** The note added when a value or the checklist had to be clipped to fit. */
export const CLIPPED_NOTE = "Some values were clipped to keep this issue within Jira's 32,767-character limit.";

/** Per-value budgets tried in turn until the document fits (the first one suits any real name). */
const VALUE_BUDGETS = [1_000, 300, 100, 40] as const;

/** Jira labels cannot contain spaces; keep them short and printable. */
export const jiraLabel = (s: string): string => oneLine(s).replace(/\s/g, "-").slice(0, 255);

/** The per-user label: `okta-user-<okta id>`; the duplicate guard searches by it. */
export const userLabel = (subjectId: string): string => jiraLabel(`okta-user-${subjectId}`);

/** "Offboard Jane Doe (jane@acme.com): Okta user deactivated", one line, at most 255 characters. */
export const jiraSummary = (event: OffboardingEvent): string => {
  const tail = `: Okta user ${event.kind}`;
  const who = oneLine(personLabel(event.subject));
  const room = SUMMARY_MAX - "Offboard ".length - tail.length;
  return `Offboard ${clipText(who, room)}${tail}`;
};

const text = (t: string, marks?: AdfNode["marks"]): AdfNode => ({
  type: "text",
  // ADF rejects empty text nodes.
  text: t === "" ? " " : t,
  ...(marks !== undefined && { marks }),
});
const strong = (t: string) => text(t, [{ type: "strong" }]);
const paragraph = (...content: ReadonlyArray<AdfNode>): AdfNode => ({ type: "paragraph", content });
const heading = (level: number, t: string): AdfNode => ({ type: "heading", attrs: { level }, content: [text(t)] });
const bulletList = (items: ReadonlyArray<ReadonlyArray<AdfNode>>): AdfNode => ({
  type: "bulletList",
  content: items.map((inline) => ({ type: "listItem", content: [paragraph(...inline)] })),
});
const linkText = (t: string, href: string): AdfNode => text(t, [{ type: "link", attrs: { href } }]);

/** Makes a user-controlled value one visible line within a budget, remembering whether it clipped. */
interface Values {
  readonly v: (raw: string) => string;
  readonly clipped: () => boolean;
}

const valuesWithin = (budget: number): Values => {
  let clipped = false;
  return {
    v: (raw) => {
      const line = oneLine(raw);
      const out = clipText(line, budget);
      if (out !== line) clipped = true;
      return out;
    },
    clipped: () => clipped,
  };
};

/** "Label: value" list items for the event's details. */
const detailItems = (event: OffboardingEvent, hris: HrisStatus, v: Values["v"]): Array<ReadonlyArray<AdfNode>> => {
  const items: Array<ReadonlyArray<AdfNode>> = [
    [strong("When: "), text(v(event.occurredAt))],
    [strong("User: "), text(v(personName(event.subject)))],
    [strong("Login: "), text(v(event.subject.login ?? "(none)"))],
    [strong("Okta user id: "), text(v(event.subject.id))],
    [strong("Actor: "), text(v(personLabel(event.actor)))],
  ];
  if (event.reason !== undefined && event.reason.trim() !== "") items.push([strong("Reason: "), text(v(event.reason))]);
  if (hris._tag !== "NotChecked") items.push([strong("HRIS: "), text(v(hrisLine(hris).replace(/^HRIS: /, "")))]);
  const where = [event.client.ip, event.client.geo].filter((x): x is string => x !== undefined && x !== "");
  if (where.length > 0) items.push([strong("Client: "), text(v(where.join(", ")))]);
  items.push([strong("Okta event: "), text(v(`${event.id} (${event.eventType})`))]);
  if (event.transactionId !== undefined) items.push([strong("Okta transaction: "), text(v(event.transactionId))]);
  return items;
};

/** The length Jira's limit is checked against here: the serialized document. */
export const adfLength = (doc: AdfDoc): number => JSON.stringify(doc).length;

const clippedNote = (): AdfNode => paragraph(text(CLIPPED_NOTE, [{ type: "em" }]));

/**
 * Builds a document within `DESCRIPTION_MAX`: with each value within the largest budget that fits; at
 * the smallest, list items of the checklist are left out from the end. `build` gets the value maker and
 * how many checklist steps to keep. A note says so whenever anything was clipped or left out.
 */
const withinLimit = (build: (v: Values["v"], steps: number) => ReadonlyArray<AdfNode>, stepCount: number): AdfDoc => {
  const doc = (content: ReadonlyArray<AdfNode>, clipped: boolean): AdfDoc => ({
    type: "doc",
    version: 1,
    content: clipped ? [...content, clippedNote()] : content,
  });
  for (const budget of VALUE_BUDGETS) {
    const values = valuesWithin(budget);
    const built = doc(build(values.v, stepCount), values.clipped());
    if (adfLength(built) <= DESCRIPTION_MAX) return built;
  }
  // The most checklist steps that fit (the size grows with each step kept): a binary search.
  const smallest = VALUE_BUDGETS[VALUE_BUDGETS.length - 1] ?? 40;
  const at = (steps: number) => doc(build(valuesWithin(smallest).v, steps), true);
  let fits = 0;
  let tooMany = stepCount;
  while (tooMany - fits > 1) {
    const mid = Math.floor((fits + tooMany) / 2);
    if (adfLength(at(mid)) <= DESCRIPTION_MAX) fits = mid;
    else tooMany = mid;
  }
  return at(fits);
};

/** The ADF description: what happened, the event's details, and the offboarding checklist. */
export const jiraDescription = (
  event: OffboardingEvent,
  hris: HrisStatus,
  checklist: ReadonlyArray<string>,
): AdfDoc => {
  const steps = checklist.map((s) => s.trim()).filter((s) => s !== "");
  return withinLimit((v, keep) => {
    const content: Array<AdfNode> = [
      paragraph(
        text(`Okta reports that ${v(personName(event.subject))} was ${event.kind} by ${v(personName(event.actor))}.`),
      ),
      heading(3, "Event"),
      bulletList(detailItems(event, hris, v)),
    ];
    if (keep > 0) {
      content.push(
        heading(3, "Offboarding checklist"),
        bulletList(steps.slice(0, keep).map((s) => [text(`☐ ${v(s)}`)])),
      );
    }
    content.push(
      paragraph(text("Created by offboard. Follow-ups (reactivation) are added as comments.", [{ type: "em" }])),
    );
    return content;
  }, steps.length);
};

/** The labels: okta-offboarding, okta-user-<id>, then the configured extras (deduplicated). */
export const jiraLabels = (event: OffboardingEvent, extra: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...new Set([JIRA_BASE_LABEL, userLabel(event.subject.id), ...extra.map(jiraLabel).filter((l) => l !== "")]),
];

/** The `fields` of the create-issue request for an event. */
export const buildJiraIssueFields = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris">,
  settings: JiraIssueSettings,
): JiraIssueFields => ({
  project: { key: settings.projectKey },
  issuetype: { name: settings.issueType },
  summary: jiraSummary(event),
  description: jiraDescription(event, ctx.hris, settings.checklist),
  labels: jiraLabels(event, settings.labels),
});

/** The entity property value stored on the issue: the duplicate guard compares `eventId`. */
export const offboardProperty = (event: OffboardingEvent): OffboardProperty => ({
  eventId: event.id,
  kind: event.kind,
  subjectId: event.subject.id,
});

/** The ADF comment a follow-up adds to the case's issue (within Jira's limit, like the description). */
export const buildJiraComment = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris" | "receipts">,
  transition: { readonly name: string; readonly applied: boolean } | undefined,
  /** A line that says why offboard acts now (a ticket closed because the user's state moved on). */
  note?: string,
): AdfDoc =>
  withinLimit((v) => {
    const content: Array<AdfNode> = [
      ...(note !== undefined ? [paragraph(strong(v(note)))] : []),
      paragraph(
        strong(`Okta user ${event.kind}. `),
        text(`${v(personName(event.subject))} was ${event.kind} by ${v(personName(event.actor))}.`),
      ),
      bulletList(detailItems(event, ctx.hris, v)),
    ];
    if (transition !== undefined) {
      const name = v(transition.name);
      content.push(
        paragraph(
          text(
            transition.applied
              ? `Transition "${name}" applied.`
              : `Transition "${name}" is not offered from the issue's current status (it may have been applied already); not applied now.`,
          ),
        ),
      );
    }
    const slack = ctx.receipts.get("slack");
    if (slack?.url !== undefined) content.push(paragraph(linkText("Slack alert", slack.url)));
    return content;
  }, 0);
