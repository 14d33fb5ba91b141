import { Redacted } from "effect";
// The version3 entry point alone: the root one also pulls in the Agile, Service Desk and v2 clients.
import type { Version3Client } from "jira.js/version3";
import { refuseCrossOriginRedirect } from "../same-origin.ts";
import { userLabel } from "./issue.ts";
import type { JiraSettings } from "./settings.ts";

/** The jira.js client, loaded and built on first use, then kept. */
export type LazyJiraClient = () => Promise<Version3Client>;

/**
 * The jira.js client the sink uses: basic auth (email + API token), per-request timeout. axios's own
 * proxy handling is off (`proxy: false`): it would send an https request to an http proxy as plain
 * text, Authorization header included, instead of tunnelling. Proxies go through Node's own support
 * (NODE_USE_ENV_PROXY=1 with HTTPS_PROXY / NO_PROXY), like the fetch-based Slack and BambooHR clients;
 * docs/configuration.md#proxies. Redirects are followed only within the site's origin: a 307 elsewhere
 * would repeat the request (credentials and an offboarded person's details) to another host.
 *
 * jira.js (with axios and zod, most of the vendor code) is imported on the first call: a dynamic import,
 * its own chunk in the Lambda bundle, so a batch of suspensions never loads it.
 */
export const makeJiraClient = (settings: JiraSettings): LazyJiraClient => {
  let client: Promise<Version3Client> | undefined;
  return () => {
    client ??= import("jira.js/version3").then(
      ({ Version3Client }) =>
        new Version3Client({
          host: settings.baseUrl,
          authentication: { basic: { email: settings.email, apiToken: Redacted.value(settings.apiToken) } },
          baseRequestConfig: {
            timeout: settings.timeoutMs,
            proxy: false,
            beforeRedirect: refuseCrossOriginRedirect(new URL(settings.baseUrl).origin),
          },
        }),
    );
    // A failed import is tried again on the next call.
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
};

/** Quotes a JQL string literal. */
export const jqlString = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The duplicate-guard query: this project's issues carrying the user's label, newest first. */
export const duplicateGuardJql = (projectKey: string, subjectId: string): string =>
  `project = ${jqlString(projectKey)} AND labels = ${jqlString(userLabel(subjectId))} ORDER BY created DESC`;
