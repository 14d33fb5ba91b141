import type { Redacted } from "effect";

/** The Slack sink's name: its key in the registry, in routing policies and in receipts. */
export const SLACK_SINK = "slack";

/** The Slack sink's settings, read by its definition (definition.ts); secrets `Redacted` end to end. */
export interface SlackSettings {
  readonly token: Redacted.Redacted<string>;
  /** Channel id (C…) the alerts go to. */
  readonly channelId: string;
  /** Base URL of the Web API, ending in `/api/` (SLACK_API_URL); default Slack's own. */
  readonly apiUrl?: string;
  /** IANA time zone the "When" field is also shown in (OFFBOARD_TIME_ZONE, default UTC). */
  readonly timeZone: string;
  /** https://acme.okta.com (OKTA_ORG_URL): enables the link to the user in the Okta admin console. */
  readonly oktaOrgUrl?: string;
  /** Per-request timeout in ms (default 4000). */
  readonly timeoutMs: number;
  /** Bounded retries of transient failures inside one attempt (default 2). */
  readonly maxRetries: number;
}
