/**
 * The Okta client's configuration, read from one flat source (the environment, or a Secrets Manager
 * JSON secret's keys, or both merged): where the org is, how to authenticate, how fast to go.
 *
 * | key | meaning |
 * |---|---|
 * | OKTA_ORG_URL | `https://<org>.okta.com` (or another Okta domain, or a declared custom domain) |
 * | OKTA_CUSTOM_DOMAINS | comma-separated custom domains that may serve the org (e.g. `login.acme.com`) |
 * | OKTA_API_TOKEN | an API token (`SSWS`) of a read-only admin |
 * | OKTA_CLIENT_ID + OKTA_PRIVATE_KEY | an OAuth 2.0 service app (private_key_jwt), PEM or JWK |
 * | OKTA_PRIVATE_KEY_ID | the key's `kid` when the JWK does not carry it |
 * | OKTA_SCOPES | space-separated scopes (default `okta.logs.read okta.users.read`) |
 * | OKTA_MAX_REQUESTS_PER_MINUTE | our own cap (default 25) |
 */
import { checkOktaOrgUrl } from "@offboard/core";
import { Redacted } from "effect";
import { ConfigError } from "../errors.ts";
import { OKTA_READ_SCOPES, type OktaCredentials } from "./auth.ts";
import { DEFAULT_OKTA_MAX_REQUESTS_PER_MINUTE, type OktaClientOptions } from "./client.ts";

export type OktaSource = Readonly<Record<string, string | undefined>>;

export type OktaSettings = Pick<OktaClientOptions, "orgUrl" | "credentials" | "customDomains" | "maxRequestsPerMinute">;

const value = (source: OktaSource, name: string): string | undefined => {
  const v = source[name]?.trim();
  return v === undefined || v.length === 0 ? undefined : v;
};

/**
 * Reads the Okta settings, or fails with one ConfigError listing every problem. `purpose` completes
 * "OKTA_ORG_URL is required to …".
 */
export const readOktaSettings = (source: OktaSource, purpose = "read Okta's System Log"): OktaSettings => {
  const problems: Array<string> = [];
  const customDomains = (value(source, "OKTA_CUSTOM_DOMAINS") ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  const orgUrl = value(source, "OKTA_ORG_URL");
  if (orgUrl === undefined) problems.push(`OKTA_ORG_URL is required to ${purpose} (e.g. https://acme.okta.com)`);
  else {
    const checked = checkOktaOrgUrl(orgUrl, { customDomains });
    if (!checked.ok) problems.push(`OKTA_ORG_URL: ${checked.message}`);
  }
  const token = value(source, "OKTA_API_TOKEN");
  const clientId = value(source, "OKTA_CLIENT_ID");
  const privateKey = value(source, "OKTA_PRIVATE_KEY");
  let credentials: OktaCredentials | undefined;
  if (clientId !== undefined || privateKey !== undefined) {
    if (clientId === undefined) problems.push("OKTA_CLIENT_ID is required with OKTA_PRIVATE_KEY");
    else if (privateKey === undefined) problems.push("OKTA_PRIVATE_KEY is required with OKTA_CLIENT_ID");
    else {
      const scopes = value(source, "OKTA_SCOPES")?.split(/\s+/) ?? OKTA_READ_SCOPES;
      credentials = {
        type: "service-app",
        clientId,
        privateKey: Redacted.make(privateKey),
        keyId: value(source, "OKTA_PRIVATE_KEY_ID"),
        scopes,
      };
    }
  } else if (token !== undefined) {
    credentials = { type: "api-token", token: Redacted.make(token) };
  } else {
    problems.push(
      `an Okta credential is required to ${purpose}: OKTA_API_TOKEN, or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY (an OAuth service app)`,
    );
  }
  let maxRequestsPerMinute = DEFAULT_OKTA_MAX_REQUESTS_PER_MINUTE;
  const cap = value(source, "OKTA_MAX_REQUESTS_PER_MINUTE");
  if (cap !== undefined) {
    const n = Number(cap);
    if (!Number.isInteger(n) || n < 1 || n > 600) {
      problems.push(
        `OKTA_MAX_REQUESTS_PER_MINUTE must be a whole number from 1 to 600, got ${JSON.stringify(cap.slice(0, 20))}`,
      );
    } else maxRequestsPerMinute = n;
  }
  if (problems.length > 0 || orgUrl === undefined || credentials === undefined) throw ConfigError.of(problems);
  return { orgUrl, credentials, customDomains, maxRequestsPerMinute };
};
