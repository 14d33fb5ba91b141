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
  /**
   * Alerts per digest window above which further alerts of the window join one digest message
   * (SLACK_DIGEST_THRESHOLD, default 10; 0 turns digests off).
   */
  readonly digestThreshold: number;
  /** The digest window in ms (SLACK_DIGEST_WINDOW_SECONDS, default 60), by the events' Okta `published` time. */
  readonly digestWindowMs: number;
  /** The least time between two rewrites of a digest message in ms (SLACK_DIGEST_UPDATE_SECONDS, default 30). */
  readonly digestUpdateMs: number;
  /** Shared pacing of chat.postMessage per channel: one post per `paceIntervalMs` (default 1100) … */
  readonly paceIntervalMs: number;
  /** … with bursts of up to `paceBurst` posts (default 2). */
  readonly paceBurst: number;
  /**
   * The longest an attempt waits, for its pacing slot or a 429's Retry-After, before handing the record
   * back to the queue with that wait as its visibility (default 2000 ms).
   */
  readonly maxWaitMs: number;
}

export const DEFAULT_SLACK_DIGEST_THRESHOLD = 10;

/** Slack allows about one chat.postMessage per second per channel: one post per 1.1 s, with a margin. */
export const DEFAULT_SLACK_POST_INTERVAL_MS = 1_100;
export const DEFAULT_SLACK_DIGEST_WINDOW_SECONDS = 60;
export const DEFAULT_SLACK_DIGEST_UPDATE_SECONDS = 30;
