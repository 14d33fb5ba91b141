import type { LifecycleKind } from "@offboard/core";
import type { Redacted } from "effect";

/**
 * The settings each adapter is built from. `config.ts` reads them (environment variables, the Secrets
 * Manager JSON secret) and validates them; adapters take these plain values and never read the
 * environment themselves. Secrets are `Redacted` end to end.
 */

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

export interface BambooHrSettings {
  /** The company subdomain: `acme` for acme.bamboohr.com (BAMBOOHR_COMPANY_DOMAIN). */
  readonly companyDomain: string;
  readonly apiKey: Redacted.Redacted<string>;
  /** Base URL override (BAMBOOHR_BASE_URL), for proxies and tests; default https://api.bamboohr.com. */
  readonly baseUrl?: string;
  /** How long a directory read is cached (BAMBOOHR_CACHE_TTL_SECONDS, default 300). */
  readonly cacheTtlMs: number;
  /** Per-request timeout in ms (default 2000). */
  readonly timeoutMs: number;
}
