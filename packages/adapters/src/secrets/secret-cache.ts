/**
 * The one JSON secret in AWS Secrets Manager that carries offboard's credentials (and, optionally, any
 * other setting under its environment-variable name). Fetched once per cold start, re-fetched after a
 * TTL so a rotated token is picked up without a redeploy. Every value is `Redacted` the moment it is
 * parsed: nothing here can print one.
 *
 * The AWS SDK is imported lazily (dynamic `import()`), so a CLI run or a cold start that never reads a
 * secret does not load it. The client uses the SDK's standard chains: region (AWS_REGION), credentials
 * (env, profile, Lambda role) and endpoint (AWS_ENDPOINT_URL, for moto or LocalStack).
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Duration, Effect, Exit, Redacted } from "effect";
import { ConfigError } from "../errors.ts";

/** The secret's JSON keys, each value `Redacted`. */
export type SecretValues = ReadonlyMap<string, Redacted.Redacted<string>>;

/** The Secrets Manager secret's values, fetched once and refreshed after a TTL. */
export interface SecretCache {
  /** The secret's ARN (or name), for messages and summaries. */
  readonly secretArn: string;
  /**
   * The secret's values: fetched on first use, then served from memory until `ttlMs` has passed. If a
   * refresh fails while an earlier value is held, the earlier value is served and the next call retries.
   */
  readonly get: Effect.Effect<SecretValues, ConfigError>;
}

/** Which secret to cache, for how long, and with which client. */
export interface SecretCacheOptions {
  readonly secretArn: string;
  /** How long a fetched value is served before it is fetched again (default 5 minutes). */
  readonly ttlMs?: number;
  /** A ready client (tests, custom endpoints). Default: a client built on first use from the standard chains. */
  readonly client?: Pick<SecretsManagerClient, "send">;
}

/** Default time a secret is cached: 5 minutes (OFFBOARD_SECRET_TTL_SECONDS=300). */
export const DEFAULT_SECRET_TTL_MS = 300_000;

/**
 * OFFBOARD_SECRET_TTL_SECONDS, the one reading of it: how long a fetched secret is served, in ms.
 * Unset or blank: the default (300 s). `0`: not cached at all, fetched again on every configuration
 * load (and the worker rebuilds its services for every batch). Not a whole number: a `ConfigError`.
 */
export const secretTtlMs = (env: Readonly<Record<string, string | undefined>>): number | ConfigError => {
  const text = env.OFFBOARD_SECRET_TTL_SECONDS?.trim();
  if (text === undefined || text.length === 0) return DEFAULT_SECRET_TTL_MS;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text) * 1000)) {
    return ConfigError.of(["OFFBOARD_SECRET_TTL_SECONDS must be a whole number"]);
  }
  return Number(text) * 1000;
};

const describeAwsError = (secretArn: string, cause: unknown): string => {
  const name = (cause as { name?: unknown } | null)?.name;
  const message = (cause as { message?: unknown } | null)?.message;
  const vendor = typeof message === "string" && message.length > 0 ? `: ${message}` : "";
  switch (name) {
    case "ResourceNotFoundException":
      return `OFFBOARD_SECRET_ARN: Secrets Manager has no secret ${secretArn} (ResourceNotFoundException${vendor})`;
    case "AccessDeniedException":
      return `OFFBOARD_SECRET_ARN: not allowed to read secret ${secretArn}; grant secretsmanager:GetSecretValue (AccessDeniedException${vendor})`;
    case "DecryptionFailure":
      return `OFFBOARD_SECRET_ARN: secret ${secretArn} could not be decrypted; grant kms:Decrypt on its key (DecryptionFailure${vendor})`;
    default:
      return `OFFBOARD_SECRET_ARN: could not read secret ${secretArn} (${typeof name === "string" ? name : "error"}${vendor})`;
  }
};

const describeJsonType = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`;

/**
 * Parses a SecretString into redacted values. Never echoes the text: JSON.parse's own message quotes
 * the input, so it is not passed on.
 */
export const parseSecretString = (secretArn: string, text: string): SecretValues | ConfigError => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ConfigError.of([
      `OFFBOARD_SECRET_ARN: secret ${secretArn} is not JSON; store a JSON object such as {"SLACK_BOT_TOKEN": "xoxb-…"}`,
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return ConfigError.of([
      `OFFBOARD_SECRET_ARN: secret ${secretArn} must be a JSON object of setting names to strings, not ${describeJsonType(parsed)}`,
    ]);
  }
  const values = new Map<string, Redacted.Redacted<string>>();
  const problems: Array<string> = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") {
      values.set(key, Redacted.make(value, { label: key }));
    } else {
      const kind = describeJsonType(value);
      problems.push(`secret ${secretArn} key ${key} must be a string, not ${kind}`);
    }
  }
  return problems.length > 0 ? ConfigError.of(problems) : values;
};

/**
 * A cache over one Secrets Manager secret. Building it does nothing; the first `get` fetches. Concurrent
 * `get`s share one request.
 */
export const makeSecretCache = (options: SecretCacheOptions): SecretCache => {
  const { secretArn } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
  let client: Pick<SecretsManagerClient, "send"> | undefined = options.client;
  /** The last value fetched, served when a refresh fails. */
  let held: SecretValues | undefined;

  const fetchOnce = async (): Promise<SecretValues> => {
    const sdk = await import("@aws-sdk/client-secrets-manager");
    client ??= new sdk.SecretsManagerClient({});
    let out: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
    try {
      out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
    } catch (cause) {
      throw ConfigError.of([describeAwsError(secretArn, cause)], cause);
    }
    if (out.SecretString === undefined) {
      throw ConfigError.of([
        `OFFBOARD_SECRET_ARN: secret ${secretArn} has no SecretString${out.SecretBinary !== undefined ? " (it is binary)" : ""}; store the settings as a JSON text secret`,
      ]);
    }
    const parsed = parseSecretString(secretArn, out.SecretString);
    if (parsed instanceof ConfigError) throw parsed;
    return parsed;
  };

  const fetchValues = Effect.tryPromise({
    try: fetchOnce,
    catch: (cause) =>
      cause instanceof ConfigError
        ? cause
        : ConfigError.of([`OFFBOARD_SECRET_ARN: could not read secret ${secretArn}`], cause),
  });

  /** A fresh value (kept for the TTL), or the held one after a failed refresh (kept for no time: the next get retries). */
  const fetchOrHeld = fetchValues.pipe(
    Effect.map((values) => {
      held = values;
      return { values, fresh: true };
    }),
    Effect.catchTag("ConfigError", (e) =>
      held !== undefined
        ? Effect.logWarning(`serving the previous value of ${secretArn}: ${e.message}`).pipe(
            Effect.as({ values: held, fresh: false }),
          )
        : Effect.fail(e),
    ),
  );

  // `Effect.cachedWithTTL` shares one request among concurrent gets and never caches a failure. Building
  // it is a synchronous allocation (no I/O), run here so the cache stays a plain value.
  const cached = Effect.runSync(
    Effect.cachedWithTTL(fetchOrHeld, (exit) =>
      Exit.isSuccess(exit) && exit.value.fresh ? Duration.millis(ttlMs) : Duration.zero,
    ),
  );
  const get = cached.pipe(
    Effect.map((r) => r.values),
    Effect.withSpan("SecretCache.get"),
  );

  return { secretArn, get };
};

const shared = new Map<string, SecretCache>();

/**
 * One cache per secret per process (per Lambda cold start), so every `loadConfig` in the process shares
 * the fetched value and its TTL.
 */
export const sharedSecretCache = (secretArn: string, ttlMs?: number): SecretCache => {
  const key = `${secretArn}\u0000${ttlMs ?? DEFAULT_SECRET_TTL_MS}`;
  let cache = shared.get(key);
  if (cache === undefined) {
    cache = makeSecretCache(ttlMs === undefined ? { secretArn } : { secretArn, ttlMs });
    shared.set(key, cache);
  }
  return cache;
};
