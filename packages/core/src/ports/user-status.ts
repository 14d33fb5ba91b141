import { Context, Data, Effect, Layer } from "effect";

/**
 * A user's current status as Okta says it (`GET /api/v1/users/{id}`; 404 means deleted):
 * `active` covers ACTIVE (and what Okta treats as active: RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED are
 * reported as `other` by adapters that cannot tell), `suspended` SUSPENDED, `deprovisioned`
 * DEPROVISIONED, `deleted` a 404; `other` anything else (STAGED, PROVISIONED, …): no opinion.
 */
export type UserStatus = "active" | "suspended" | "deprovisioned" | "deleted" | "other";

/** Okta could not be asked (network, 429, 5xx, no permission). The events then decide alone. */
export class UserStatusError extends Data.TaggedError("UserStatusError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}

/**
 * Okta's authoritative user status, read before a case opens or closes a ticket when Okta read access
 * is configured (`OKTA_ORG_URL` and a token with `okta.users.read`). Without it, the state derived
 * from the events decides.
 */
export class OktaUserStatus extends Context.Service<
  OktaUserStatus,
  {
    /** False when Okta read access is not configured: the case never asks. */
    readonly configured: boolean;
    readonly current: (userId: string) => Effect.Effect<UserStatus, UserStatusError>;
  }
>()("offboard/OktaUserStatus") {
  /** Not configured: the events decide. */
  static readonly none = Layer.succeed(OktaUserStatus, {
    configured: false,
    current: () => Effect.succeed("other" as UserStatus),
  });
  /** Fixed answers by user id (unknown users are `other`), for tests and local replays. */
  static readonly inMemory = (statuses: ReadonlyMap<string, UserStatus>) =>
    Layer.succeed(OktaUserStatus, {
      configured: true,
      current: (userId: string) => Effect.succeed(statuses.get(userId) ?? "other"),
    });
}
