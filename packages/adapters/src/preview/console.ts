import type { Writable } from "node:stream";
import {
  clipText,
  DEFAULT_TICKET_KINDS,
  type DeliveryContext,
  hrisLine,
  type LifecycleKind,
  OFFBOARDING_KINDS,
  type OffboardingEvent,
  type Person,
  personLabel,
  personName,
  type Receipt,
  refNamesArtefact,
  type Sink,
  SinkError,
  type Superseded,
  safeText,
} from "@offboard/core";
import { Effect } from "effect";
import { jiraSummary } from "../jira/issue.ts";
import { VALUE_MAX } from "../slack/message.ts";

/**
 * The "console" sink: shows, for each routed event, the Slack alert and (for kinds that open one) the
 * Jira ticket as a person would read them, as plain-text blocks on a terminal. `offboard replay` uses it
 * to preview what a deployment would post, without any credentials.
 *
 * Every user-controlled string (names, logins, reasons, user agents) is made terminal-safe first: ANSI
 * escape sequences, other control characters and bidirectional overrides are removed, line breaks become
 * spaces. Slack mrkdwn such as `<!channel>` or `*bold*` is shown literally, as the text it is.
 */

export interface ConsolePreviewOptions {
  /** Where the preview goes (default process.stdout). */
  readonly out?: Writable;
  /** Bold headers and a coloured kind (default: when `out` is a TTY). */
  readonly color?: boolean;
  /** The offboarding steps listed in the Jira ticket (default `DEFAULT_PREVIEW_CHECKLIST`). */
  readonly checklist?: ReadonlyArray<string>;
  /** Kinds that open a Jira ticket (default deactivated, like JIRA_KINDS). */
  readonly ticketKinds?: ReadonlyArray<LifecycleKind>;
}

/** The checklist shown when none is configured. */
export const DEFAULT_PREVIEW_CHECKLIST: ReadonlyArray<string> = [
  "Revoke active sessions and API tokens",
  "Remove from groups, shared accounts and on-call rotations",
  "Transfer ownership of documents, repositories and cloud resources",
  "Recover company devices and badges",
  "Confirm the termination with HR",
];

/**
 * Makes a string safe to print on a terminal: core's `safeText`, the same rule as the Slack and Jira
 * sinks (ANSI escape sequences, C0/C1 controls, bidi controls and zero-width characters removed; tabs
 * and line breaks become single spaces).
 */
export const terminalSafe = safeText;

/**
 * A value as the preview prints it: terminal-safe and, like the Slack sink's fields (`VALUE_MAX`), at
 * most `max` characters, cut with "…". A hostile 5 MB display name prints a thousand characters, not
 * megabytes (only the first `4 × max` characters are even looked at).
 */
export const shown = (input: string, max: number = VALUE_MAX): string => {
  const cut = input.length > max * 4;
  const text = terminalSafe(cut ? input.slice(0, max * 4) : input);
  return !cut && text.length <= max ? text : `${clipText(text, max - 1, "")}…`;
};

const HEADLINES: Readonly<Record<LifecycleKind, string>> = {
  suspended: "Okta user suspended",
  unsuspended: "Okta user unsuspended",
  deactivated: "Okta user deactivated",
  reactivated: "Okta user reactivated",
  deleted: "Okta user deletion initiated",
};

/** A person as the preview shows them: the core's label ("Jane Doe (jane@acme.com)") and the Okta id. */
const personText = (p: Person): string => {
  const label = personLabel(p);
  return label === p.id ? shown(p.id) : `${shown(label)}, id ${shown(p.id)}`;
};

const receiptText = (r: Receipt): string => shown(r.url !== undefined ? `${r.ref} ${r.url}` : r.ref);

/**
 * What a case's receipt is, in words: "Slack message 1762160412.000100", "Jira ticket IT-42 https://…",
 * "outbox entry at byte 0 of .offboard/outbox.jsonl"; a placeholder ref says nothing was made.
 */
export const receiptMeaning = (r: Receipt): string => {
  if (!refNamesArtefact(r.ref)) return `${shown(r.sink, 40)}: nothing made (${shown(r.ref, 40)})`;
  switch (r.sink) {
    case "slack":
      return `Slack message ${shown(r.ref, 40)}${r.detail?.channel !== undefined ? ` in ${shown(r.detail.channel, 40)}` : ""}`;
    case "jira":
      return `Jira ticket ${receiptText(r)}`;
    case "outbox": {
      const offset = r.ref.startsWith("outbox:") ? r.ref.slice("outbox:".length) : r.ref;
      return `outbox entry at byte ${shown(offset, 40)}${r.detail?.path !== undefined ? ` of ${shown(r.detail.path, 200)}` : ""}`;
    }
    case "console":
      return "previewed here";
    default:
      return `${shown(r.sink, 40)} receipt ${receiptText(r)}`;
  }
};

interface Style {
  readonly bold: (s: string) => string;
  readonly kind: (kind: LifecycleKind, s: string) => string;
  readonly dim: (s: string) => string;
}

const plain: Style = { bold: (s) => s, kind: (_k, s) => s, dim: (s) => s };
const ansi: Style = {
  bold: (s) => `\u001b[1m${s}\u001b[22m`,
  kind: (k, s) => `\u001b[1;${OFFBOARDING_KINDS.has(k) ? 31 : 32}m${s}\u001b[0m`,
  dim: (s) => `\u001b[2m${s}\u001b[22m`,
};

type Field = readonly [label: string, value: string | undefined];

const box = (style: Style, title: string, lines: ReadonlyArray<string>): string => {
  const rule = "─".repeat(Math.max(0, 72 - terminalSafe(title).length - 4));
  return [`┌─ ${style.bold(title)} ${style.dim(rule)}`, ...lines.map((l) => `│ ${l}`), `└${style.dim("─".repeat(72))}`]
    .join("\n")
    .concat("\n");
};

const fieldLines = (style: Style, fields: ReadonlyArray<Field>): Array<string> => {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined && f[1] !== "");
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  return shown.map(([label, value]) => `${style.bold(`${label}:`.padEnd(width))} ${value}`);
};

const joinDefined = (parts: ReadonlyArray<string | undefined>, sep: string): string | undefined => {
  const kept = parts.filter((p): p is string => p !== undefined && p !== "");
  return kept.length === 0 ? undefined : kept.join(sep);
};

const safe = (s: string | undefined) => (s === undefined ? undefined : shown(s));

/** "arrived late: Okta already reported this user reactivated at … (event …); this is history". */
export const supersededLine = (later: Superseded): string =>
  `arrived late: Okta already reported this user ${later.kind} at ${shown(later.occurredAt)}${
    later.eventId !== undefined ? ` (event ${shown(later.eventId)})` : ""
  }; this alert is history, not the user's current state`;

/** The Slack alert as text: headline, then one line per field. */
export const renderSlackPreview = (event: OffboardingEvent, context: DeliveryContext, color = false): string => {
  const style = color ? ansi : plain;
  const subject = event.subject;
  const headline = `${HEADLINES[event.kind]}: ${shown(personName(subject))}`;
  const ticket = [...context.receipts.values()].find((r) => r.sink === "jira");
  const caseReceipts = context.case === undefined ? [] : Object.values(context.case.receipts);
  const fields: Array<Field> = [
    ["Superseded", context.supersededBy !== undefined ? supersededLine(context.supersededBy) : undefined],
    ["When", safe(event.occurredAt)],
    ["User", `${safe(subject.displayName) ?? "(no name)"} (${shown(subject.id)})`],
    ["Login", safe(subject.login)],
    ["Actor", personText(event.actor)],
    ["Reason", safe(event.reason)],
    ["HRIS", shown(hrisLine(context.hris).replace(/^HRIS: /, ""))],
    ["Client", joinDefined([safe(event.client.ip), safe(event.client.geo), safe(event.client.userAgent)], " · ")],
    ["Okta event", joinDefined([shown(event.id), safe(event.oktaOrg)], " · ")],
    ["Transaction", safe(event.transactionId)],
    ["Ticket", ticket === undefined ? undefined : receiptText(ticket)],
    [
      "Thread",
      context.followUp && context.case !== undefined
        ? `follows the ${context.case.openedKind} case opened by Okta event ${shown(context.case.openedBy)}${
            caseReceipts.length > 0 ? `; that case has: ${caseReceipts.map(receiptMeaning).join(", ")}` : ""
          }`
        : context.followUp
          ? "no earlier case for this user: posted as a new message"
          : undefined,
    ],
  ];
  return box(style, `Slack alert · ${style.kind(event.kind, event.kind)}`, [
    style.bold(headline),
    ...fieldLines(style, fields),
  ]);
};

/** The Jira ticket as text: summary, description fields and the checklist. */
export const renderJiraPreview = (
  event: OffboardingEvent,
  context: DeliveryContext,
  checklist: ReadonlyArray<string>,
  color = false,
): string => {
  const style = color ? ansi : plain;
  const subject = event.subject;
  // The summary Jira would get, built from terminal-safe names (escape sequences go before Jira's own
  // one-line cleaning would leave their printable tails behind).
  const safeSubject = {
    ...subject,
    ...(subject.displayName !== undefined && { displayName: shown(subject.displayName) }),
    ...(subject.login !== undefined && { login: shown(subject.login) }),
  };
  const summary = shown(jiraSummary({ ...event, subject: safeSubject }));
  const fields: Array<Field> = [
    ["Summary", summary],
    ["When", safe(event.occurredAt)],
    ["User", personText(subject)],
    ["Actor", personText(event.actor)],
    ["Reason", safe(event.reason)],
    ["HRIS", shown(hrisLine(context.hris).replace(/^HRIS: /, ""))],
    ["Okta event", shown(event.id)],
    ["Transaction", safe(event.transactionId)],
  ];
  const steps = checklist.map((step) => `  [ ] ${shown(step)}`);
  return box(style, `Jira ticket · ${style.kind(event.kind, event.kind)}`, [
    ...fieldLines(style, fields),
    style.bold("Checklist:"),
    ...steps,
  ]);
};

/** Writes text, waiting for the stream to accept it; a closed or failing stream is a permanent failure. */
const write = (out: Writable, text: string) =>
  Effect.callback<void, SinkError>((resume) => {
    try {
      out.write(text, (error) =>
        resume(
          error === null || error === undefined
            ? Effect.void
            : Effect.fail(
                new SinkError({
                  sink: "console",
                  failure: "permanent",
                  message: `cannot write the preview: ${error.message}`,
                  cause: error,
                }),
              ),
        ),
      );
    } catch (error) {
      resume(
        Effect.fail(
          new SinkError({
            sink: "console",
            failure: "permanent",
            message: `cannot write the preview: ${String(error)}`,
            cause: error,
          }),
        ),
      );
    }
  });

/** The console preview sink. Its receipt is `{ sink: "console", ref: event.id }`. */
export const consolePreviewSink = (options: ConsolePreviewOptions = {}): Sink => {
  const out = options.out ?? process.stdout;
  const color = options.color ?? (out as { isTTY?: boolean }).isTTY === true;
  const checklist = options.checklist ?? DEFAULT_PREVIEW_CHECKLIST;
  const ticketKinds: ReadonlySet<LifecycleKind> = new Set(options.ticketKinds ?? DEFAULT_TICKET_KINDS);
  return {
    name: "console",
    deliver: (event, context) =>
      Effect.gen(function* () {
        let text = renderSlackPreview(event, context, color);
        // Like the Jira sink: a ticket only when the user's case opens one (without a case step, for a
        // ticket kind that is neither a follow-up nor superseded).
        const opens =
          context.step !== undefined
            ? context.step.ticket === "open"
            : ticketKinds.has(event.kind) && !context.followUp && context.supersededBy === undefined;
        if (opens) text += renderJiraPreview(event, context, checklist, color);
        yield* write(out, `${text}\n`);
        return { sink: "console", ref: event.id } satisfies Receipt;
      }),
  };
};
