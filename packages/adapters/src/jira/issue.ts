import type { DeliveryContext, HrisStatus, OffboardingEvent } from "@offboard/core";
import { hrisLine, personLabel, personName } from "@offboard/core";

/**
 * The pure Jira issue builder for the Jira sink: summary, labels and the Atlassian Document Format
 * (ADF) description and comments. No client, no I/O; the console preview and docs reuse it.
 * Every user-controlled string goes into an ADF `text` node, which Jira renders literally (ADF has no
 * wiki markup to inject), and the summary is one plain line capped at Jira's 255 characters.
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** One line of plain text: control characters (newlines included) become spaces. */
export const oneLine = (s: string): string => s.replace(CONTROL, " ").replace(/\s+/g, " ").trim();

/** Jira's summary limit. */
export const SUMMARY_MAX = 255;

/** Jira labels cannot contain spaces; keep them short and printable. */
export const jiraLabel = (s: string): string => oneLine(s).replace(/\s/g, "-").slice(0, 255);

/** The per-user label: `okta-user-<okta id>`; the duplicate guard searches by it. */
export const userLabel = (subjectId: string): string => jiraLabel(`okta-user-${subjectId}`);

/** "Offboard Jane Doe (jane@acme.com): Okta user deactivated", one line, at most 255 characters. */
export const jiraSummary = (event: OffboardingEvent): string => {
  const tail = `: Okta user ${event.kind}`;
  const who = oneLine(personLabel(event.subject));
  const room = SUMMARY_MAX - "Offboard ".length - tail.length;
  const clipped = who.length <= room ? who : `${who.slice(0, Math.max(0, room - 1))}…`;
  return `Offboard ${clipped}${tail}`;
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

/** "Label: value" list items for the event's details. */
const detailItems = (event: OffboardingEvent, hris: HrisStatus): Array<ReadonlyArray<AdfNode>> => {
  const items: Array<ReadonlyArray<AdfNode>> = [
    [strong("When: "), text(event.occurredAt)],
    [strong("User: "), text(personName(event.subject))],
    [strong("Login: "), text(event.subject.login ?? "(none)")],
    [strong("Okta user id: "), text(event.subject.id)],
    [strong("Actor: "), text(personLabel(event.actor))],
  ];
  if (event.reason !== undefined && event.reason.trim() !== "") items.push([strong("Reason: "), text(event.reason)]);
  if (hris._tag !== "NotChecked") items.push([strong("HRIS: "), text(hrisLine(hris).replace(/^HRIS: /, ""))]);
  const where = [event.client.ip, event.client.geo].filter((x): x is string => x !== undefined && x !== "");
  if (where.length > 0) items.push([strong("Client: "), text(where.join(", "))]);
  items.push([strong("Okta event: "), text(`${event.id} (${event.eventType})`)]);
  if (event.transactionId !== undefined) items.push([strong("Okta transaction: "), text(event.transactionId)]);
  return items;
};

/** The ADF description: what happened, the event's details, and the offboarding checklist. */
export const jiraDescription = (
  event: OffboardingEvent,
  hris: HrisStatus,
  checklist: ReadonlyArray<string>,
): AdfDoc => {
  const content: Array<AdfNode> = [
    paragraph(text(`Okta reports that ${personName(event.subject)} was ${event.kind} by ${personName(event.actor)}.`)),
    heading(3, "Event"),
    bulletList(detailItems(event, hris)),
  ];
  const steps = checklist.map((s) => s.trim()).filter((s) => s !== "");
  if (steps.length > 0) {
    content.push(heading(3, "Offboarding checklist"), bulletList(steps.map((s) => [text(`☐ ${s}`)])));
  }
  content.push(
    paragraph(text("Created by offboard. Follow-ups (reactivation) are added as comments.", [{ type: "em" }])),
  );
  return { type: "doc", version: 1, content };
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

/** The ADF comment a follow-up adds to the case's issue. */
export const buildJiraComment = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris" | "receipts">,
  transition: { readonly name: string; readonly applied: boolean } | undefined,
  /** A line that says why offboard acts now (a ticket closed because the user's state moved on). */
  note?: string,
): AdfDoc => {
  const content: Array<AdfNode> = [
    ...(note !== undefined ? [paragraph(strong(note))] : []),
    paragraph(
      strong(`Okta user ${event.kind}. `),
      text(`${personName(event.subject)} was ${event.kind} by ${personName(event.actor)}.`),
    ),
    bulletList(detailItems(event, ctx.hris)),
  ];
  if (transition !== undefined) {
    content.push(
      paragraph(
        text(
          transition.applied
            ? `Transition "${transition.name}" applied.`
            : `Transition "${transition.name}" is not offered from the issue's current status (it may have been applied already); not applied now.`,
        ),
      ),
    );
  }
  const slack = ctx.receipts.get("slack");
  if (slack?.url !== undefined) content.push(paragraph(linkText("Slack alert", slack.url)));
  return { type: "doc", version: 1, content };
};
