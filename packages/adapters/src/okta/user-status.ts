/**
 * Okta's authoritative user status (core's `OktaUserStatus` port) over the Okta client:
 * `GET /api/v1/users/{id}` (scope `okta.users.read`, or an API token of a read-only admin).
 *
 * | Okta `status` | port |
 * |---|---|
 * | ACTIVE, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT | `active` (Okta counts these as active users) |
 * | SUSPENDED | `suspended` |
 * | DEPROVISIONED | `deprovisioned` |
 * | 404 `E0000007` | `deleted` |
 * | STAGED, PROVISIONED, anything else | `other` (no opinion: the events decide) |
 *
 * Every other failure (network, 429 or 5xx after the client's retries, 401/403, an unreadable body) is a
 * `UserStatusError`: the pipeline logs it and lets the events decide.
 */
import { OktaUserStatus, type UserStatus, UserStatusError } from "@offboard/core";
import { Effect, Layer, Redacted } from "effect";
import type { AppConfig } from "../config/config.ts";
import { makeOktaClient, type OktaClient } from "./client.ts";
import { isOktaError } from "./errors.ts";
import { readOktaSettings } from "./settings.ts";

/** The port's status for an Okta user `status` value. */
export const userStatusOf = (oktaStatus: unknown): UserStatus => {
  switch (oktaStatus) {
    case "ACTIVE":
    case "RECOVERY":
    case "PASSWORD_EXPIRED":
    case "LOCKED_OUT":
      return "active";
    case "SUSPENDED":
      return "suspended";
    case "DEPROVISIONED":
      return "deprovisioned";
    default:
      return "other";
  }
};

/** Reads one user's current status through `client`. */
export const readOktaUserStatus = (client: OktaClient, userId: string): Effect.Effect<UserStatus, UserStatusError> =>
  Effect.tryPromise({
    try: () =>
      client.request("read a user's status", "GET", `/api/v1/users/${encodeURIComponent(userId)}`, undefined, {
        on403: "Okta user status needs the okta.users.read scope (service app) or a read-only admin's API token.",
      }),
    catch: (cause) => cause,
  }).pipe(
    Effect.map((res) => userStatusOf((res.json as { status?: unknown } | undefined)?.status)),
    Effect.catch((cause) => {
      if (
        isOktaError(cause) &&
        cause._tag === "OktaApiError" &&
        cause.status === 404 &&
        cause.errorCode === "E0000007"
      ) {
        return Effect.succeed<UserStatus>("deleted");
      }
      return Effect.fail(
        new UserStatusError({
          message: isOktaError(cause) ? cause.message : `Okta user status read failed: ${String(cause)}`,
          cause,
        }),
      );
    }),
  );

/** The `OktaUserStatus` port over an Okta client (configured: the pipeline asks it). */
export const oktaUserStatusLayer = (client: OktaClient): Layer.Layer<OktaUserStatus> =>
  Layer.succeed(OktaUserStatus, {
    configured: true,
    current: (userId: string) => readOktaUserStatus(client, userId),
  });

const present = (v: string | undefined): boolean => v !== undefined && v.trim().length > 0;

/**
 * The `OktaUserStatus` port from the configuration: Okta's status over HTTP when Okta read access is
 * configured (OKTA_ORG_URL plus OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY), else
 * `OktaUserStatus.none` (the events decide, as before). Throws a ConfigError naming every problem when
 * the settings are present but wrong.
 */
export const oktaUserStatusFromConfig = (
  config: Pick<AppConfig, "oktaOrgUrl" | "oktaApiToken">,
  env: Readonly<Record<string, string | undefined>> = process.env,
  userAgent = "offboard",
): Layer.Layer<OktaUserStatus> => {
  const source: Readonly<Record<string, string | undefined>> = {
    ...env,
    ...(config.oktaOrgUrl !== undefined ? { OKTA_ORG_URL: config.oktaOrgUrl } : {}),
    ...(config.oktaApiToken !== undefined ? { OKTA_API_TOKEN: Redacted.value(config.oktaApiToken) } : {}),
  };
  const credential =
    present(source.OKTA_API_TOKEN) || (present(source.OKTA_CLIENT_ID) && present(source.OKTA_PRIVATE_KEY));
  if (!present(source.OKTA_ORG_URL) || !credential) return OktaUserStatus.none;
  const settings = readOktaSettings(source, "read Okta users' status");
  return oktaUserStatusLayer(makeOktaClient({ ...settings, userAgent }));
};
