import { Redacted } from "effect";
// The version3 entry point alone: the root one also pulls in the Agile, Service Desk and v2 clients.
import { Version3Client } from "jira.js/version3";
import { userLabel } from "./issue.ts";
import type { JiraSettings } from "./settings.ts";

/**
 * The jira.js client the sink uses: basic auth (email + API token), per-request timeout. axios's own
 * proxy handling is off (`proxy: false`): it would send an https request to an http proxy as plain
 * text, Authorization header included, instead of tunnelling. Proxies go through Node's own support
 * (NODE_USE_ENV_PROXY=1 with HTTPS_PROXY / NO_PROXY), like the fetch-based Slack and BambooHR clients;
 * docs/configuration.md#proxies.
 */
export const makeJiraClient = (settings: JiraSettings): Version3Client =>
  new Version3Client({
    host: settings.baseUrl,
    authentication: { basic: { email: settings.email, apiToken: Redacted.value(settings.apiToken) } },
    baseRequestConfig: { timeout: settings.timeoutMs, proxy: false },
  });

/** Quotes a JQL string literal. */
export const jqlString = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The duplicate-guard query: this project's issues carrying the user's label, newest first. */
export const duplicateGuardJql = (projectKey: string, subjectId: string): string =>
  `project = ${jqlString(projectKey)} AND labels = ${jqlString(userLabel(subjectId))} ORDER BY created DESC`;
