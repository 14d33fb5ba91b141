import { Redacted } from "effect";
// The version3 entry point alone: the root one also pulls in the Agile, Service Desk and v2 clients.
import { Version3Client } from "jira.js/version3";
import { userLabel } from "./issue.ts";
import type { JiraSettings } from "./settings.ts";

/** The jira.js client the sink uses: basic auth (email + API token), per-request timeout. */
export const makeJiraClient = (settings: JiraSettings): Version3Client =>
  new Version3Client({
    host: settings.baseUrl,
    authentication: { basic: { email: settings.email, apiToken: Redacted.value(settings.apiToken) } },
    baseRequestConfig: { timeout: settings.timeoutMs },
  });

/** Quotes a JQL string literal. */
export const jqlString = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The duplicate-guard query: this project's issues carrying the user's label, newest first. */
export const duplicateGuardJql = (projectKey: string, subjectId: string): string =>
  `project = ${jqlString(projectKey)} AND labels = ${jqlString(userLabel(subjectId))} ORDER BY created DESC`;
