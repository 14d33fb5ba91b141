import {
  type DeliveryContext,
  type HrisStatus,
  isLifecycleKind,
  type LifecycleKind,
  type OffboardingEvent,
  personLabel,
  type Receipt,
  refNamesArtefact,
  type Superseded,
  safeText,
} from "@offboard/core";

/**
 * The pure Block Kit builder for the Slack sink: no client, no I/O. The console preview and the docs
 * reuse it. Every string that came from Okta, the HR system or Jira goes through `safe` before it
 * lands in a `mrkdwn` text object or the notification fallback: invisible and control characters
 * removed (`safeText`), Slack's `&`, `<`, `>` escaped so `<!channel>` is shown literally and pings no
 * one, and mrkdwn's formatting characters replaced by look-alikes so `*bold*` or a stray backtick
 * cannot restyle the alert or break out of a code span.
 */

/** The settings the message depends on (a subset of `SlackSettings`). */
export interface SlackMessageSettings {
  /** IANA time zone shown next to the ISO time; "UTC" shows the ISO time only. */
  readonly timeZone: string;
  /** https://acme.okta.com: adds a link to the user in the Okta admin console. */
  readonly oktaOrgUrl?: string;
}

/** A Block Kit text object. */
export interface TextObject {
  readonly type: "plain_text" | "mrkdwn";
  readonly text: string;
  readonly emoji?: boolean;
}

/** The Block Kit blocks this sink emits (a structural subset of Slack's `KnownBlock`). */
export type SlackBlock =
  | { readonly type: "header"; readonly text: TextObject & { readonly type: "plain_text" } }
  | { readonly type: "section"; readonly text?: TextObject; readonly fields?: ReadonlyArray<TextObject> }
  | { readonly type: "context"; readonly elements: ReadonlyArray<TextObject> }
  | { readonly type: "divider" };

/** What chat.postMessage / chat.update get: blocks, and a plain `text` for notifications. */
export interface SlackAlert {
  readonly text: string;
  readonly blocks: ReadonlyArray<SlackBlock>;
}

/**
 * Escapes Slack's three control characters (`&`, `<`, `>`) so user-controlled text is shown as
 * typed: no mentions (`<!channel>`, `<@U…>`), no disguised links (`<https://evil|click>`).
 */
export const escapeMrkdwn = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Slack's Block Kit limits, counted on the text as sent (after escaping): a section field's text 2000
 * characters, a header's plain_text 150, any other text object (a section's text, a context element)
 * 3000. The `text` fallback may be far longer, but a notification shows only its start: kept at 3000.
 */
export const SLACK_LIMITS = { field: 2_000, header: 150, text: 3_000, fallback: 3_000 } as const;

/**
 * The budget of one user-controlled value (a name, a reason), escaped. Eight fields of this size plus
 * the other blocks stay well under the size at which Slack refuses a message (`msg_blocks_too_long`,
 * about 13 000 characters of blocks).
 */
export const VALUE_MAX = 1_000;

const ENTITY_TAIL = /&[a-z]{0,3}$/;

/**
 * Clips already escaped mrkdwn to at most `max` characters, `…` included, without splitting what
 * Slack parses as one unit: an entity (`&lt;`, `&amp;`, `&gt;`), a link or mention (`<…>`, which only
 * this module writes, user text having no raw `<`), or a UTF-16 surrogate pair.
 */
export const clipMrkdwn = (s: string, max: number): string => {
  if (s.length <= max) return s;
  let cut = s.slice(0, Math.max(0, max - 1));
  const entity = ENTITY_TAIL.exec(cut);
  if (entity !== null) cut = cut.slice(0, entity.index);
  if (cut.lastIndexOf("<") > cut.lastIndexOf(">")) cut = cut.slice(0, cut.lastIndexOf("<"));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
};

/** Plain text clipped to `max` characters, `…` included (for plain_text objects, which are not escaped). */
const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/**
 * Slack has no escape for its formatting characters, so in user-controlled text they become look-alikes
 * Slack does not format: `*` ∗ (U+2217), `_` ˍ (U+02CD), `~` ∼ (U+223C), `` ` `` ˋ (U+02CB), and the
 * full-width forms likewise. A value can then neither bold, italicise or strike text nor open or close a
 * code span around it.
 */
const MRKDWN_LOOKALIKES: Readonly<Record<string, string>> = {
  "*": "\u2217",
  _: "\u02CD",
  "~": "\u223C",
  "`": "\u02CB",
  "\uFF0A": "\uFE61",
  "\uFF3F": "\u2E0F",
  "\uFF5E": "\u223C",
  "\uFF40": "\u02CB",
};
const MRKDWN_FORMATTING = /[*_~`\uFF0A\uFF3F\uFF5E\uFF40]/g;

/**
 * User text (already escaped) made inert as mrkdwn: formatting characters become look-alikes, and a
 * leading `>` (escaped `&gt;`), which Slack would render as a block quote, gets a soft hyphen before it.
 */
export const neutralizeMrkdwn = (escaped: string): string =>
  escaped.replace(MRKDWN_FORMATTING, (c) => MRKDWN_LOOKALIKES[c] ?? c).replace(/^&gt;/, "\u00AD&gt;");

/**
 * The only way a foreign string enters a mrkdwn text object: one line of visible text (`safeText`),
 * escaped, made inert as mrkdwn, then clipped.
 */
export const safe = (s: string, max = VALUE_MAX): string =>
  clipMrkdwn(neutralizeMrkdwn(escapeMrkdwn(safeText(s))), max);

const KIND_TITLE: Readonly<Record<LifecycleKind, string>> = {
  suspended: "Suspended",
  unsuspended: "Unsuspended",
  deactivated: "Deactivated",
  reactivated: "Reactivated",
  deleted: "Deleted",
};

const KIND_EMOJI: Readonly<Record<LifecycleKind, string>> = {
  suspended: ":double_vertical_bar:",
  unsuspended: ":arrow_forward:",
  deactivated: ":no_entry:",
  reactivated: ":white_check_mark:",
  deleted: ":wastebasket:",
};

/** "Deactivated", "Reactivated", … */
export const kindTitle = (kind: LifecycleKind): string => KIND_TITLE[kind];

/** The header text for one kind, or for a case that moved from one kind to another. */
export const headerText = (kind: LifecycleKind, from?: LifecycleKind): string =>
  from === undefined
    ? `${KIND_EMOJI[kind]} Okta user ${kind}`
    : `${KIND_EMOJI[kind]} Okta user ${KIND_TITLE[from]} → ${KIND_TITLE[kind]}`;

const pad = (n: number) => String(n).padStart(2, "0");

/** "2026-11-29 18:02:22" in the given zone, or undefined when the zone or the date is unusable. */
export const localTime = (iso: string, timeZone: string): string | undefined => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    }).formatToParts(new Date(ms));
    const get = (t: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === t)?.value ?? "0");
    return `${get("year")}-${pad(get("month"))}-${pad(get("day"))} ${pad(get("hour"))}:${pad(get("minute"))}:${pad(get("second"))}`;
  } catch {
    return undefined;
  }
};

/** The "When" value: Okta's ISO time, plus the same instant in the configured zone unless that is UTC. */
export const whenText = (occurredAt: string, timeZone: string): string => {
  const ms = Date.parse(occurredAt);
  if (Number.isNaN(ms)) return `${safe(occurredAt, 100)} (as sent by Okta)`;
  const iso = new Date(ms).toISOString();
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return `${iso} (UTC)`;
  const local = localTime(occurredAt, timeZone);
  return local === undefined ? `${iso} (UTC)` : `${iso}\n${local} (${escapeMrkdwn(timeZone)})`;
};

/** The HRIS field value, or undefined when the status is not worth showing (not checked). */
export const hrisText = (status: HrisStatus): string | undefined => {
  switch (status._tag) {
    case "NotChecked":
      return undefined;
    case "Unavailable":
      return "Unavailable (HR system did not answer)";
    case "NotFound":
      return `No employee with email ${safe(status.email, 200)}`;
    case "Agrees":
      return `Agrees: ${safe(status.summary, 300)}`;
    case "Drift":
      return `:warning: *DRIFT*: ${safe(status.summary, 300)}`;
  }
};

/**
 * The user's page in the Okta admin console. Okta serves the admin console on the org's `-admin`
 * host (acme.okta.com → acme-admin.okta.com); custom domains are used as configured.
 */
export const oktaAdminUserUrl = (orgUrl: string, userId: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(orgUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname;
  const m = /^([^.]+)\.(okta\.com|oktapreview\.com|okta-emea\.com|okta-gov\.com|okta\.mil)$/.exec(host);
  const first = m?.[1];
  const adminHost = first !== undefined && !first.endsWith("-admin") ? `${first}-admin.${m?.[2]}` : host;
  return `${url.protocol}//${adminHost}${url.port === "" ? "" : `:${url.port}`}/admin/user/profile/view/${encodeURIComponent(userId)}`;
};

/** Longest URL put in a link; a longer one (a hostile id in the path) is left out rather than cut. */
const URL_MAX = 500;

/** A mrkdwn link; both parts escaped (Slack wants `&` in URLs as `&amp;` too). Undefined for a huge URL. */
const link = (url: string, label: string): string | undefined => {
  const href = escapeMrkdwn(url);
  return href.length > URL_MAX ? undefined : `<${href}|${safe(label, 200)}>`;
};

/** The Jira ticket for this event or this case, when one exists. */
export const jiraReceipt = (ctx: Pick<DeliveryContext, "receipts" | "case">): Receipt | undefined => {
  const r = ctx.receipts.get("jira") ?? ctx.case?.receipts.jira;
  return r === undefined || !refNamesArtefact(r.ref) ? undefined : r;
};

const field = (label: string, value: string): TextObject => ({
  type: "mrkdwn",
  text: clipMrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.field),
});

const jiraValue = (jira: Receipt): string =>
  (jira.url !== undefined ? link(jira.url, jira.ref) : undefined) ?? safe(jira.ref, 200);

/** A header block: plain_text (Slack shows it literally), clipped to Slack's 150 characters. */
const headerBlock = (text: string): SlackBlock => ({
  type: "header",
  text: { type: "plain_text", text: clip(text, SLACK_LIMITS.header), emoji: true },
});

/** The ISO form of a date, or the (escaped) text as sent when it does not parse. */
const isoOrAsSent = (at: string): string => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? safe(at, 100) : new Date(ms).toISOString();
};

/**
 * The warning an out-of-order event carries: Okta had already reported a later state of the user, so
 * this alert is history. Mrkdwn, escaped.
 */
export const supersededText = (later: Superseded): string =>
  `:warning: *Arrived late*: Okta already reported this user *${later.kind}* at ${isoOrAsSent(later.occurredAt)}${
    later.eventId !== undefined ? ` (event \`${safe(later.eventId, 100)}\`)` : ""
  }; this alert is history, not the user's current state.`;

/** The warning for an event whose `published` cannot be trusted (too far in the future, or not a date). */
export const untrustedDateText = (event: OffboardingEvent): string =>
  `:warning: *Date not trusted*: Okta's event says it happened at ${isoOrAsSent(event.occurredAt)}, ${
    Number.isNaN(Date.parse(event.occurredAt)) ? "which is not a date" : "later than offboard's clock allows"
  }; shown for the record, it does not change this user's case.`;

/** True when the case could not place the event in time (future-dated beyond the clock skew, or undated). */
const dateUntrusted = (ctx: Pick<DeliveryContext, "step">): boolean =>
  ctx.step?.timeliness === "future" || ctx.step?.timeliness === "undated";

const warningBlock = (text: string): SlackBlock => ({
  type: "section",
  text: { type: "mrkdwn", text: clipMrkdwn(text, SLACK_LIMITS.text) },
});

const supersededBlock = (later: Superseded): SlackBlock => ({
  type: "section",
  text: { type: "mrkdwn", text: clipMrkdwn(supersededText(later), SLACK_LIMITS.text) },
});

const contextLine = (
  eventId: string,
  transactionId: string | undefined,
  subjectId: string,
  s: SlackMessageSettings,
) => {
  const parts = [`Okta event \`${safe(eventId, 100)}\``];
  if (transactionId !== undefined) parts.push(`transaction \`${safe(transactionId, 100)}\``);
  const admin = s.oktaOrgUrl !== undefined ? oktaAdminUserUrl(s.oktaOrgUrl, subjectId) : undefined;
  const adminLink = admin !== undefined ? link(admin, "Open user in Okta admin") : undefined;
  if (adminLink !== undefined) parts.push(adminLink);
  return {
    type: "context",
    elements: [{ type: "mrkdwn", text: clipMrkdwn(parts.join(" · "), SLACK_LIMITS.text) }],
  } satisfies SlackBlock;
};

/** The section fields for an event: When, User, Login, Actor, Reason?, HRIS?, Jira?. */
const eventFields = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris" | "receipts" | "case">,
  s: SlackMessageSettings,
) => {
  const fields: Array<TextObject> = [
    field("When", whenText(event.occurredAt, s.timeZone)),
    field("User", safe(event.subject.displayName ?? "(no display name)")),
    field("Login", safe(event.subject.login ?? event.subject.id)),
    field("Actor", safe(personLabel(event.actor))),
  ];
  if (event.reason !== undefined && event.reason.trim() !== "") fields.push(field("Reason", safe(event.reason)));
  const hris = hrisText(ctx.hris);
  if (hris !== undefined) fields.push(field("HRIS", hris));
  const jira = jiraReceipt(ctx);
  if (jira !== undefined) fields.push(field("Jira", jiraValue(jira)));
  return fields;
};

/**
 * The notification fallback: one line of text, escaped like the blocks. An out-of-order event says
 * so up front: "Okta user deactivated (arrived late; since reactivated): …".
 */
export const fallbackText = (
  event: OffboardingEvent,
  from?: LifecycleKind,
  supersededBy?: Superseded,
  untrustedDate = false,
): string => {
  const what = from === undefined ? event.kind : `${from} → ${event.kind}`;
  const late =
    supersededBy !== undefined
      ? ` (arrived late; since ${supersededBy.kind})`
      : untrustedDate
        ? " (date not trusted; case unchanged)"
        : "";
  return clipMrkdwn(
    `Okta user ${what}${late}: ${safe(personLabel(event.subject), 300)} by ${safe(personLabel(event.actor), 300)}`,
    SLACK_LIMITS.fallback,
  );
};

/**
 * The alert for one routed event: header, (for an out-of-order event) the "Arrived late" warning,
 * fields, context line, and the `text` fallback. Every text object is within Slack's limits.
 */
export const buildSlackAlert = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris" | "receipts" | "case" | "supersededBy" | "step">,
  settings: SlackMessageSettings,
): SlackAlert => ({
  text: fallbackText(event, undefined, ctx.supersededBy, dateUntrusted(ctx)),
  blocks: [
    headerBlock(headerText(event.kind)),
    ...(ctx.supersededBy !== undefined ? [supersededBlock(ctx.supersededBy)] : []),
    ...(dateUntrusted(ctx) ? [warningBlock(untrustedDateText(event))] : []),
    { type: "section", fields: eventFields(event, ctx, settings) },
    contextLine(event.id, event.transactionId, event.subject.id, settings),
  ],
});

/**
 * The alert as text only, for when Slack refuses the blocks (`invalid_blocks` and the like): the same
 * facts, one per line, escaped and clipped, so the alert still arrives.
 */
export const buildPlainAlert = (
  event: OffboardingEvent,
  ctx: Pick<DeliveryContext, "hris" | "receipts" | "case" | "supersededBy" | "step">,
  settings: SlackMessageSettings,
): string => {
  const lines = [`*${headerText(event.kind)}*`];
  if (ctx.supersededBy !== undefined) lines.push(supersededText(ctx.supersededBy));
  if (dateUntrusted(ctx)) lines.push(untrustedDateText(event));
  for (const f of eventFields(event, ctx, settings)) lines.push(f.text.replace("\n", ": ").replace(/\n/g, " "));
  lines.push(`Okta event \`${safe(event.id, 100)}\``);
  return clipMrkdwn(lines.join("\n"), SLACK_LIMITS.text);
};

/**
 * What the original message of a case remembers (kept in the Slack receipt's `detail`), so a follow-up
 * can rewrite it with the new state without reading the message back from Slack. Raw strings.
 */
export interface CaseSnapshot {
  readonly channel: string;
  readonly ts: string;
  readonly kind: LifecycleKind;
  readonly eventId: string;
  readonly occurredAt: string;
  readonly actor: string;
  readonly reason?: string;
}

/** The receipt detail of an original message: channel and ts, plus the snapshot for later updates. */
export const snapshotDetail = (channel: string, ts: string, event: OffboardingEvent): Record<string, string> => ({
  channel,
  ts,
  kind: event.kind,
  eventId: event.id,
  occurredAt: event.occurredAt,
  actor: clip(personLabel(event.actor), 300),
  ...(event.reason !== undefined && { reason: clip(event.reason, 500) }),
});

/** Reads a snapshot back from a receipt's detail; undefined when channel or ts is missing. */
export const snapshotOf = (receipt: Receipt, openedKind: LifecycleKind, openedBy: string): CaseSnapshot | undefined => {
  const d = receipt.detail ?? {};
  const channel = d.channel;
  const ts = d.ts ?? receipt.ref;
  if (channel === undefined || ts === undefined || ts === "") return undefined;
  const kind = isLifecycleKind(d.kind) ? d.kind : openedKind;
  return {
    channel,
    ts,
    kind,
    eventId: d.eventId ?? openedBy,
    occurredAt: d.occurredAt ?? "",
    actor: d.actor ?? "unknown",
    ...(d.reason !== undefined && { reason: d.reason }),
  };
};

/**
 * The original message rewritten after a follow-up: header "Deactivated → Reactivated", the original
 * event's fields, and a line saying what changed, by whom and when (details in the thread).
 */
export const buildCaseUpdate = (
  original: CaseSnapshot,
  followUp: OffboardingEvent,
  ctx: Pick<DeliveryContext, "receipts" | "case">,
  settings: SlackMessageSettings,
): SlackAlert => {
  const fields: Array<TextObject> = [
    field("When", original.occurredAt === "" ? "(unknown)" : whenText(original.occurredAt, settings.timeZone)),
    field("User", safe(followUp.subject.displayName ?? "(no display name)")),
    field("Login", safe(followUp.subject.login ?? followUp.subject.id)),
    field("Actor", safe(original.actor)),
  ];
  if (original.reason !== undefined && original.reason.trim() !== "")
    fields.push(field("Reason", safe(original.reason)));
  const jira = jiraReceipt(ctx);
  if (jira !== undefined) fields.push(field("Jira", jiraValue(jira)));
  const now = `*Now ${followUp.kind}* ${whenText(followUp.occurredAt, settings.timeZone).replace("\n", " · ")} by ${safe(personLabel(followUp.actor))} (details in the thread)`;
  return {
    text: fallbackText(followUp, original.kind),
    blocks: [
      headerBlock(headerText(followUp.kind, original.kind)),
      { type: "section", fields },
      { type: "section", text: { type: "mrkdwn", text: clipMrkdwn(now, SLACK_LIMITS.text) } },
      contextLine(original.eventId, undefined, followUp.subject.id, settings),
    ],
  };
};
