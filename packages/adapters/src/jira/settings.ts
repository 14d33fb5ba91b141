import { DEFAULT_TICKET_KINDS, type LifecycleKind } from "@offboard/core";
import type { Redacted } from "effect";

/** The Jira sink's name: its key in the registry, in routing policies and in receipts. */
export const JIRA_SINK = "jira";

/** The Jira sink's settings, read by its definition (definition.ts); secrets `Redacted` end to end. */
export interface JiraSettings {
  /** https://acme.atlassian.net (JIRA_BASE_URL). */
  readonly baseUrl: string;
  /** The Atlassian account email the API token belongs to (JIRA_EMAIL). */
  readonly email: string;
  readonly apiToken: Redacted.Redacted<string>;
  /** JIRA_PROJECT_KEY, e.g. "IT". */
  readonly projectKey: string;
  /** JIRA_ISSUE_TYPE, e.g. "Task". */
  readonly issueType: string;
  /** Kinds that open a ticket (JIRA_KINDS, default deactivated). Follow-ups comment on the case's ticket. */
  readonly kinds: ReadonlyArray<LifecycleKind>;
  /** The downstream offboarding steps listed in the ticket (JIRA_CHECKLIST, `;`-separated). */
  readonly checklist: ReadonlyArray<string>;
  /** Transition to apply to the case's issue on reactivation, by name (JIRA_REACTIVATE_TRANSITION); none by default. */
  readonly reactivateTransition?: string;
  /** Extra labels (JIRA_LABELS, comma-separated) besides okta-offboarding and okta-user-<id>. */
  readonly labels: ReadonlyArray<string>;
  /** Per-request timeout in ms (default 5000). */
  readonly timeoutMs: number;
  /** Bounded retries of transient failures inside one attempt (default 2). */
  readonly maxRetries: number;
}

/** The Jira issue type created unless JIRA_ISSUE_TYPE says otherwise. */
export const DEFAULT_JIRA_ISSUE_TYPE = "Task";
/** The kinds whose final state needs an open ticket: the case state machine's default (deactivated, deleted). */
export const DEFAULT_JIRA_KINDS: ReadonlyArray<LifecycleKind> = DEFAULT_TICKET_KINDS;

/** The downstream steps a Jira offboarding ticket lists when JIRA_CHECKLIST is not set. */
export const DEFAULT_JIRA_CHECKLIST: ReadonlyArray<string> = [
  "Revoke active SaaS sessions and OAuth grants (Google Workspace, Microsoft 365, Slack, GitHub)",
  "Transfer Google Drive / OneDrive files to the manager",
  "Archive or delegate the mailbox and set an auto-reply",
  "Recover the laptop and other hardware; wipe or lock it through MDM",
  "Remove from payroll and benefits",
  "Rotate shared credentials and secrets the person knew",
  "Remove from on-call rotations, distribution lists and shared drives",
];
