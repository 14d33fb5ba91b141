/**
 * offboard's one configuration: every setting read from the environment and, when OFFBOARD_SECRET_ARN is
 * set, from the Secrets Manager JSON secret (same key names), validated in one pass. A bad configuration
 * fails with ONE `ConfigError` listing every missing or invalid key. Secrets are `Redacted` from the
 * moment they are read. docs/configuration.md documents every key in `CONFIG_KEYS`.
 *
 * The core keys are listed here (keys.ts); each sink's keys, and how they are read, live in the sink's
 * own folder (a `SinkDefinition`, see sink-definition.ts) and are picked up from SINK_REGISTRY, and the
 * HR directory's from HRIS_DEFINITION, so adding a sink never touches this folder. The reader is
 * settings-reader.ts, the routing policy policy.ts, the summary describe.ts.
 *
 * Precedence: for the secret keys (`secret: true`: SLACK_BOT_TOKEN, JIRA_API_TOKEN, BAMBOOHR_API_KEY,
 * OKTA_API_TOKEN, and any a new sink declares) the secret wins over the environment, so a stale token
 * left in an environment variable cannot shadow a rotated one. For every other key the environment wins
 * and the secret fills in keys the environment does not set, so an operator can change a channel without editing the secret.
 */
import {
  DEFAULT_SETTINGS,
  narrowRoutes,
  OKTA_PARTNER_SOURCE_PREFIX,
  type PipelineSettings,
  type RoutingPolicy,
} from "@offboard/core";
import { Effect, type Redacted, Result } from "effect";
import { ConfigError } from "../errors.ts";
import { jiraSink } from "../jira/definition.ts";
import type { JiraSettings } from "../jira/settings.ts";
import { HRIS_DEFINITION, SINK_REGISTRY } from "../registry.ts";
import {
  DEFAULT_SECRET_TTL_MS,
  type SecretCache,
  type SecretValues,
  secretTtlMs,
  sharedSecretCache,
} from "../secrets/secret-cache.ts";
import type { CommonSettings, SettingsReader, SinkRegistry } from "../sink-definition.ts";
import { configKeys, DEFAULT_STATE_DIR, DEFAULT_TIME_ZONE } from "./keys.ts";
import { readPolicy } from "./policy.ts";
import { ConfigReader } from "./settings-reader.ts";
import { unknownKeyWarnings } from "./unknown-keys.ts";

/** The whole validated configuration: active sinks' and the HRIS's settings, policy, ledger, state directory. */
export interface AppConfig {
  /**
   * The settings of every active sink, by sink name (registry order). A sink is built from here
   * (`sinksFromConfig`); `sinkSettings(config, definition)` reads one back typed.
   */
  readonly sinks: Readonly<Record<string, unknown>>;
  /**
   * The HR directory's settings (HRIS_DEFINITION's), present when the cross-check is on;
   * `hrisSettings(config, definition)` reads them back typed.
   */
  readonly hris?: unknown;
  readonly oktaOrgUrl?: string;
  readonly oktaApiToken?: Redacted.Redacted<string>;
  readonly policy: RoutingPolicy;
  readonly pipeline: Partial<PipelineSettings>;
  /** DynamoDB ledger table (OFFBOARD_LEDGER_TABLE); unset: the local SQLite ledger under `stateDir`. */
  readonly ledgerTable?: string;
  /** Where the worker sends rejected records (OFFBOARD_DLQ_URL). */
  readonly dlqUrl?: string;
  /**
   * The Okta partner event source (or a prefix of it, such as `aws.partner/okta.com/acme`) whose
   * envelopes the queue worker trusts (OFFBOARD_OKTA_SOURCE_PREFIX); unset: any Okta partner source.
   */
  readonly oktaSourcePrefix?: string;
  /** Local state (SQLite ledger, replay output): OFFBOARD_STATE_DIR, default ".offboard". */
  readonly stateDir: string;
  /** The Secrets Manager secret the secret keys came from (OFFBOARD_SECRET_ARN). */
  readonly secretArn?: string;
  /**
   * Keys with offboard's prefixes that it does not know, each with the nearest known name: a typo
   * would otherwise leave a sink silently inactive. Shown by `describeConfig`; never a value.
   */
  readonly warnings?: ReadonlyArray<string>;
}

/** Where `loadConfig` reads from (the environment and the Secrets Manager secret, by default). */
export interface LoadConfigOptions {
  /** The environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The secret to read when OFFBOARD_SECRET_ARN is set (default: one shared cache per process). */
  readonly secrets?: SecretCache;
  /** The sinks to configure (default SINK_REGISTRY). */
  readonly registry?: SinkRegistry;
}

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/**
 * Reads every registered sink: inactive when none of its `requires` keys is set, a problem naming the
 * missing keys when some are, else its own `read`.
 */
const readSinks = (
  r: SettingsReader,
  registry: SinkRegistry,
  common: CommonSettings,
): Readonly<Record<string, unknown>> => {
  const sinks: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(registry)) {
    if (!r.completeness(definition.requires)) continue;
    const settings = definition.read(r, common);
    if (settings !== undefined) sinks[name] = settings;
  }
  return sinks;
};

/**
 * Validates a whole environment and the secret's values. Pure apart from OFFBOARD_POLICY_FILE. `registry`
 * (default SINK_REGISTRY) says which sinks exist; tests of a new sink pass their own.
 */
export const configFromSources = (
  env: Readonly<Record<string, string | undefined>>,
  secret: SecretValues = new Map(),
  registry: SinkRegistry = SINK_REGISTRY,
): Result.Result<AppConfig, ConfigError> => {
  const r = new ConfigReader(env, secret, configKeys(registry));
  const tz = r.string("OFFBOARD_TIME_ZONE") ?? DEFAULT_TIME_ZONE;
  let timeZone = tz;
  if (!isTimeZone(tz)) {
    r.problems.push(`OFFBOARD_TIME_ZONE ${JSON.stringify(tz)} is not an IANA time zone such as Europe/Berlin`);
    timeZone = DEFAULT_TIME_ZONE;
  }
  const oktaOrgUrl = r.url("OKTA_ORG_URL", { credentials: true });
  const oktaApiToken = r.redacted("OKTA_API_TOKEN");
  const common: CommonSettings = { timeZone, ...(oktaOrgUrl !== undefined ? { oktaOrgUrl } : {}) };
  const sinks = readSinks(r, registry, common);
  const hris = r.completeness(HRIS_DEFINITION.requires) ? HRIS_DEFINITION.read(r, common) : undefined;
  // Without a policy of the operator's own, the default routes go to the active sinks only; a policy
  // set explicitly is kept as written (a route to an inactive sink is then retried, then sink-inactive).
  const explicitPolicy = r.has("OFFBOARD_POLICY") || r.has("OFFBOARD_POLICY_FILE");
  const readRoutes = readPolicy(r, Object.keys(registry));
  // With no sink active at all the defaults stay whole: `inspect` and the replay preview show where
  // events would go (the worker refuses to start without a sink).
  const activeNames = Object.keys(sinks);
  const policy = explicitPolicy || activeNames.length === 0 ? readRoutes : narrowRoutes(readRoutes, activeNames);
  const skewSeconds = r.has("OFFBOARD_MAX_CLOCK_SKEW_SECONDS")
    ? r.int("OFFBOARD_MAX_CLOCK_SKEW_SECONDS", 0, 86_400)
    : undefined;
  // JIRA_KINDS says which final states need an open ticket: the user's case follows it.
  const jiraKinds = (sinks[jiraSink.name] as JiraSettings | undefined)?.kinds;
  // Read (by loadConfig, with secretTtlMs) before the secret exists; here only a value the secret sets is checked.
  r.int("OFFBOARD_SECRET_TTL_SECONDS", 0, DEFAULT_SECRET_TTL_MS / 1000);
  const concurrency = r.has("OFFBOARD_CONCURRENCY") ? r.int("OFFBOARD_CONCURRENCY", 1, 8) : undefined;
  const leaseSeconds = r.has("OFFBOARD_LEASE_SECONDS") ? r.int("OFFBOARD_LEASE_SECONDS", 1, 120) : undefined;
  const sinkTimeoutSeconds = r.has("OFFBOARD_SINK_TIMEOUT_SECONDS")
    ? r.int("OFFBOARD_SINK_TIMEOUT_SECONDS", 1, 10)
    : undefined;
  // A claim must outlive the sink call it guards, or a second attempt could take it over mid-call and
  // deliver again.
  const effectiveLease = leaseSeconds ?? DEFAULT_SETTINGS.leaseMs / 1000;
  const effectiveSinkTimeout = sinkTimeoutSeconds ?? DEFAULT_SETTINGS.sinkTimeoutMs / 1000;
  if (effectiveLease <= effectiveSinkTimeout) {
    r.problems.push(
      `OFFBOARD_LEASE_SECONDS (${effectiveLease}) must be longer than one sink attempt may take (OFFBOARD_SINK_TIMEOUT_SECONDS, ${effectiveSinkTimeout}), or a retry could deliver twice`,
    );
  }
  const dlqUrl = r.url("OFFBOARD_DLQ_URL", { credentials: false });
  const oktaSourcePrefix = r.string("OFFBOARD_OKTA_SOURCE_PREFIX");
  if (
    oktaSourcePrefix !== undefined &&
    (!oktaSourcePrefix.startsWith(OKTA_PARTNER_SOURCE_PREFIX) ||
      oktaSourcePrefix.length <= OKTA_PARTNER_SOURCE_PREFIX.length)
  ) {
    r.problems.push(
      `OFFBOARD_OKTA_SOURCE_PREFIX must be your Okta partner event source or its org part, such as ${OKTA_PARTNER_SOURCE_PREFIX}acme`,
    );
  }
  const ledgerTable = r.string("OFFBOARD_LEDGER_TABLE");
  if (ledgerTable !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(ledgerTable)) {
    r.problems.push("OFFBOARD_LEDGER_TABLE must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");
  }
  const secretArn = r.string("OFFBOARD_SECRET_ARN");
  if (r.problems.length > 0) return Result.fail(ConfigError.of(r.problems));
  const pipeline: Partial<PipelineSettings> = {
    policy,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(leaseSeconds !== undefined ? { leaseMs: leaseSeconds * 1000 } : {}),
    ...(sinkTimeoutSeconds !== undefined ? { sinkTimeoutMs: sinkTimeoutSeconds * 1000 } : {}),
    ...(skewSeconds !== undefined ? { maxClockSkewMs: skewSeconds * 1000 } : {}),
    ...(jiraKinds !== undefined ? { ticketKinds: jiraKinds } : {}),
  };
  const known = configKeys(registry).map((k) => k.name);
  const warnings = [
    ...unknownKeyWarnings(
      Object.keys(env).filter((k) => (env[k] ?? "").trim().length > 0),
      known,
      "the environment",
    ),
    ...unknownKeyWarnings(secret.keys(), known, `secret ${env.OFFBOARD_SECRET_ARN?.trim() || "(OFFBOARD_SECRET_ARN)"}`),
  ];
  return Result.succeed({
    sinks,
    ...(hris !== undefined ? { hris } : {}),
    ...(oktaOrgUrl !== undefined ? { oktaOrgUrl } : {}),
    ...(oktaApiToken !== undefined ? { oktaApiToken } : {}),
    policy,
    pipeline,
    ...(ledgerTable !== undefined ? { ledgerTable } : {}),
    ...(dlqUrl !== undefined ? { dlqUrl } : {}),
    ...(oktaSourcePrefix !== undefined ? { oktaSourcePrefix } : {}),
    stateDir: r.string("OFFBOARD_STATE_DIR") ?? DEFAULT_STATE_DIR,
    ...(secretArn !== undefined ? { secretArn } : {}),
    warnings,
  });
};

/**
 * Loads and validates the configuration. When OFFBOARD_SECRET_ARN is set, the secret is read first (from
 * the shared per-process cache, so repeated loads honour its TTL) and overlaid as described at the top of
 * this file.
 */
export const loadConfig = (options: LoadConfigOptions = {}): Effect.Effect<AppConfig, ConfigError> =>
  Effect.gen(function* () {
    const env = options.env ?? process.env;
    const secretArn = env.OFFBOARD_SECRET_ARN?.trim();
    let secret: SecretValues = new Map();
    if (secretArn !== undefined && secretArn.length > 0) {
      const ttlMs = secretTtlMs(env);
      if (ttlMs instanceof ConfigError) return yield* ttlMs;
      const cache = options.secrets ?? sharedSecretCache(secretArn, ttlMs);
      secret = yield* cache.get;
    }
    const result = configFromSources(env, secret, options.registry);
    return Result.isFailure(result) ? yield* result.failure : result.success;
  }).pipe(Effect.withSpan("loadConfig"));
