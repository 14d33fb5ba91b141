/**
 * offboard's one configuration: every setting read from the environment and, when OFFBOARD_SECRET_ARN is
 * set, from the Secrets Manager JSON secret (same key names), validated in one pass. A bad configuration
 * fails with ONE `ConfigError` listing every missing or invalid key. Secrets are `Redacted` from the
 * moment they are read. docs/configuration.md documents every key in `CONFIG_KEYS`.
 *
 * The core keys are listed here; each sink's keys, and how they are read, live in the sink's own file
 * (a `SinkDefinition`, see sink-definition.ts) and are picked up from SINK_REGISTRY, so adding a sink
 * never touches this file.
 *
 * Precedence: for the secret keys (`secret: true`: SLACK_BOT_TOKEN, JIRA_API_TOKEN, BAMBOOHR_API_KEY,
 * OKTA_API_TOKEN, and any a new sink declares) the secret wins over the environment, so a stale token
 * left in an environment variable cannot shadow a rotated one. For every other key the environment wins and the secret fills in keys the
 * environment does not set, so an operator can change a channel without editing the secret.
 */
import { readFileSync } from "node:fs";
import {
  DEFAULT_POLICY,
  DEFAULT_SETTINGS,
  LIFECYCLE_KINDS,
  type PipelineSettings,
  parsePolicyJson,
  type RoutingPolicy,
} from "@offboard/core";
import { Effect, Redacted, Result } from "effect";
import { ConfigError } from "../errors.ts";
import { jiraSink } from "../jira/sink.ts";
import { activeSinkNames, SINK_REGISTRY } from "../registry.ts";
import {
  DEFAULT_SECRET_TTL_MS,
  type SecretCache,
  type SecretValues,
  sharedSecretCache,
} from "../secrets/secret-cache.ts";
import type { BambooHrSettings, JiraSettings, SlackSettings } from "../settings.ts";
import type { CommonSettings, ConfigKey, SettingsReader, SinkDefinition, SinkRegistry } from "../sink-definition.ts";
import { slackSink } from "../slack/sink.ts";

export interface AppConfig {
  /**
   * The settings of every active sink, by sink name (registry order). A sink is built from here
   * (`sinksFromConfig`); `sinkSettings(config, definition)` reads one back typed.
   */
  readonly sinks: Readonly<Record<string, unknown>>;
  /** `sinks.slack`, typed: present when the Slack sink is active (SLACK_BOT_TOKEN and SLACK_CHANNEL_ID set). */
  readonly slack?: SlackSettings;
  /** `sinks.jira`, typed: present when the Jira sink is active. */
  readonly jira?: JiraSettings;
  /** Present when the BambooHR cross-check is on. */
  readonly bamboohr?: BambooHrSettings;
  readonly oktaOrgUrl?: string;
  readonly oktaApiToken?: Redacted.Redacted<string>;
  readonly policy: RoutingPolicy;
  readonly pipeline: Partial<PipelineSettings>;
  /** DynamoDB ledger table (OFFBOARD_LEDGER_TABLE); unset: the local SQLite ledger under `stateDir`. */
  readonly ledgerTable?: string;
  /** Where the worker sends rejected records (OFFBOARD_DLQ_URL). */
  readonly dlqUrl?: string;
  /** Local state (SQLite ledger, replay output): OFFBOARD_STATE_DIR, default ".offboard". */
  readonly stateDir: string;
  /** The Secrets Manager secret the secret keys came from (OFFBOARD_SECRET_ARN). */
  readonly secretArn?: string;
}

const key = (name: string, secret = false, defaultValue?: string): ConfigKey =>
  defaultValue === undefined ? { name, secret } : { name, secret, default: defaultValue };

export const DEFAULT_TIME_ZONE = "UTC";
export const DEFAULT_STATE_DIR = ".offboard";
export const DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS = 300;

/** The settings that belong to no sink: secret, HR cross-check, Okta, routing, worker, local state. */
export const CORE_CONFIG_KEYS: ReadonlyArray<ConfigKey> = [
  key("OFFBOARD_SECRET_ARN"),
  key("OFFBOARD_SECRET_TTL_SECONDS", false, "300"),
  key("BAMBOOHR_COMPANY_DOMAIN"),
  key("BAMBOOHR_API_KEY", true),
  key("BAMBOOHR_BASE_URL", false, "https://api.bamboohr.com"),
  key("BAMBOOHR_CACHE_TTL_SECONDS", false, String(DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS)),
  key("OKTA_ORG_URL"),
  key("OKTA_API_TOKEN", true),
  key("OFFBOARD_TIME_ZONE", false, DEFAULT_TIME_ZONE),
  key("OFFBOARD_POLICY"),
  key("OFFBOARD_POLICY_FILE"),
  key("OFFBOARD_IGNORE_ACTORS"),
  key("OFFBOARD_CONCURRENCY", false, "8"),
  key("OFFBOARD_LEASE_SECONDS", false, "120"),
  key("OFFBOARD_SINK_TIMEOUT_SECONDS", false, "10"),
  key("OFFBOARD_LEDGER_TABLE"),
  key("OFFBOARD_DLQ_URL"),
  key("OFFBOARD_STATE_DIR", false, DEFAULT_STATE_DIR),
  key("AWS_ENDPOINT_URL"),
];

/** The core keys, then every registered sink's keys, in registry order. */
export const configKeys = (registry: SinkRegistry = SINK_REGISTRY): ReadonlyArray<ConfigKey> => [
  ...CORE_CONFIG_KEYS,
  ...Object.values(registry).flatMap((definition) => definition.keys),
];

/** Every environment variable and secret key offboard reads. */
export const CONFIG_KEYS: ReadonlyArray<ConfigKey> = configKeys();

/** The keys whose values are credentials. */
export const SECRET_KEYS: ReadonlyArray<string> = CONFIG_KEYS.filter((k) => k.secret).map((k) => k.name);

/** The keys that switch the BambooHR cross-check on. */
export const HRIS_REQUIRES: ReadonlyArray<string> = ["BAMBOOHR_COMPANY_DOMAIN", "BAMBOOHR_API_KEY"];

export interface LoadConfigOptions {
  /** The environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The secret to read when OFFBOARD_SECRET_ARN is set (default: one shared cache per process). */
  readonly secrets?: SecretCache;
  /** The sinks to configure (default SINK_REGISTRY). */
  readonly registry?: SinkRegistry;
}

const orList = (keys: ReadonlyArray<string>): string =>
  keys.length <= 1 ? (keys[0] ?? "") : `${keys.slice(0, -1).join(", ")} and ${keys[keys.length - 1]}`;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Reads raw values with the documented precedence, collecting every problem instead of stopping. */
class Reader implements SettingsReader {
  readonly problems: Array<string> = [];
  private readonly declared: ReadonlySet<string>;
  private readonly secretNames: ReadonlySet<string>;
  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly secret: SecretValues,
    keys: ReadonlyArray<ConfigKey>,
  ) {
    this.declared = new Set(keys.map((k) => k.name));
    this.secretNames = new Set(keys.filter((k) => k.secret).map((k) => k.name));
  }

  /** The trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    if (!this.declared.has(name)) {
      // A defect, not a configuration problem: the key would be undocumented and its precedence unknown.
      throw new Error(`offboard reads ${name}, which no ConfigKey declares; add it to the sink's \`keys\``);
    }
    const fromEnv = this.env[name]?.trim();
    const fromSecret = this.secret.get(name);
    const secretText = fromSecret === undefined ? undefined : Redacted.value(fromSecret).trim();
    const envValue = fromEnv === undefined || fromEnv.length === 0 ? undefined : fromEnv;
    const secretValue = secretText === undefined || secretText.length === 0 ? undefined : secretText;
    return this.secretNames.has(name) ? (secretValue ?? envValue) : (envValue ?? secretValue);
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string): string | undefined {
    return this.raw(name);
  }

  redacted(name: string): Redacted.Redacted<string> | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (/\s/.test(v)) {
      this.problems.push(`${name} must not contain spaces or line breaks`);
      return undefined;
    }
    return Redacted.make(v, { label: name });
  }

  /** A whole number ≥ min, or the default. */
  int(name: string, min: number, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
      this.problems.push(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ""}`);
      return fallback;
    }
    return Number(v);
  }

  /**
   * An absolute URL, without a trailing slash. Credential-bearing URLs must be https (plain http only to
   * a loopback host, for tests and local proxies).
   */
  url(name: string, opts: { readonly credentials: boolean }): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      this.problems.push(`${name} must be an https URL`);
      return undefined;
    }
    const ok = u.protocol === "https:" || (u.protocol === "http:" && (!opts.credentials || LOOPBACK.has(u.hostname)));
    if (!ok || u.username !== "" || u.password !== "") {
      this.problems.push(
        `${name} must be an https URL${opts.credentials ? " (plain http is allowed only to 127.0.0.1 or localhost)" : ""}`,
      );
      return undefined;
    }
    return v.replace(/\/+$/, "");
  }

  list(name: string, separator: string): ReadonlyArray<string> | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    return v
      .split(separator)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  /** Reports a sink (or the HRIS) that has some but not all of its required keys. */
  completeness(requires: ReadonlyArray<string>): boolean {
    const missing = requires.filter((k) => !this.has(k));
    if (missing.length === 0) return true;
    const set = requires.filter((k) => this.has(k));
    if (set.length > 0) {
      this.problems.push(
        `${orList(missing)} ${missing.length === 1 ? "is" : "are"} required when ${orList(set)} ${set.length === 1 ? "is" : "are"} set`,
      );
    }
    return false;
  }
}

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const readBambooHr = (r: Reader): BambooHrSettings | undefined => {
  if (!r.completeness(HRIS_REQUIRES)) return undefined;
  const companyDomain = r.string("BAMBOOHR_COMPANY_DOMAIN");
  if (companyDomain !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(companyDomain)) {
    r.problems.push("BAMBOOHR_COMPANY_DOMAIN must be the company subdomain only: acme for https://acme.bamboohr.com");
  }
  const apiKey = r.redacted("BAMBOOHR_API_KEY");
  const baseUrl = r.url("BAMBOOHR_BASE_URL", { credentials: true });
  const ttlSeconds = r.int("BAMBOOHR_CACHE_TTL_SECONDS", 0, DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS);
  if (companyDomain === undefined || apiKey === undefined) return undefined;
  return {
    companyDomain,
    apiKey,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    cacheTtlMs: ttlSeconds * 1000,
    timeoutMs: 2_000,
  };
};

const readPolicy = (r: Reader, sinkNames: ReadonlyArray<string>): RoutingPolicy => {
  const inline = r.string("OFFBOARD_POLICY");
  const file = r.string("OFFBOARD_POLICY_FILE");
  let policy = DEFAULT_POLICY;
  let json: string | undefined;
  let source = "OFFBOARD_POLICY";
  if (inline !== undefined && file !== undefined) {
    r.problems.push("OFFBOARD_POLICY and OFFBOARD_POLICY_FILE are both set; set one");
  } else if (inline !== undefined) {
    json = inline;
  } else if (file !== undefined) {
    source = "OFFBOARD_POLICY_FILE";
    try {
      json = readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as { code?: string }).code;
      r.problems.push(`OFFBOARD_POLICY_FILE: cannot read ${file}${code !== undefined ? ` (${code})` : ""}`);
    }
  }
  if (json !== undefined) {
    const parsed = parsePolicyJson(json, sinkNames);
    if (Result.isFailure(parsed)) r.problems.push(`${source}: ${parsed.failure.message}`);
    else policy = parsed.success;
  }
  const extra = r.list("OFFBOARD_IGNORE_ACTORS", ",");
  if (extra !== undefined && extra.length > 0) {
    const seen = new Set(policy.ignoreActors.map((a) => a.toLowerCase()));
    const merged = [...policy.ignoreActors, ...extra.filter((a) => !seen.has(a.toLowerCase()))];
    policy = { ...policy, ignoreActors: merged };
  }
  return policy;
};

/**
 * Reads every registered sink: inactive when none of its `requires` keys is set, a problem naming the
 * missing keys when some are, else its own `read`.
 */
const readSinks = (r: Reader, registry: SinkRegistry, common: CommonSettings): Readonly<Record<string, unknown>> => {
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
  const r = new Reader(env, secret, configKeys(registry));
  const tz = r.string("OFFBOARD_TIME_ZONE") ?? DEFAULT_TIME_ZONE;
  let timeZone = tz;
  if (!isTimeZone(tz)) {
    r.problems.push(`OFFBOARD_TIME_ZONE ${JSON.stringify(tz)} is not an IANA time zone such as Europe/Berlin`);
    timeZone = DEFAULT_TIME_ZONE;
  }
  const oktaOrgUrl = r.url("OKTA_ORG_URL", { credentials: true });
  const oktaApiToken = r.redacted("OKTA_API_TOKEN");
  const sinks = readSinks(r, registry, { timeZone, ...(oktaOrgUrl !== undefined ? { oktaOrgUrl } : {}) });
  const bamboohr = readBambooHr(r);
  const policy = readPolicy(r, Object.keys(registry));
  r.int("OFFBOARD_SECRET_TTL_SECONDS", 0, 0);
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
  };
  // The typed views of the built-in sinks, for code that reads `config.slack` / `config.jira`.
  const typed = <S>(definition: SinkDefinition<S>): S | undefined =>
    registry[definition.name] === definition ? (sinks[definition.name] as S | undefined) : undefined;
  const slack = typed(slackSink);
  const jira = typed(jiraSink);
  return Result.succeed({
    sinks,
    ...(slack !== undefined ? { slack } : {}),
    ...(jira !== undefined ? { jira } : {}),
    ...(bamboohr !== undefined ? { bamboohr } : {}),
    ...(oktaOrgUrl !== undefined ? { oktaOrgUrl } : {}),
    ...(oktaApiToken !== undefined ? { oktaApiToken } : {}),
    policy,
    pipeline,
    ...(ledgerTable !== undefined ? { ledgerTable } : {}),
    ...(dlqUrl !== undefined ? { dlqUrl } : {}),
    stateDir: r.string("OFFBOARD_STATE_DIR") ?? DEFAULT_STATE_DIR,
    ...(secretArn !== undefined ? { secretArn } : {}),
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
      const ttlText = env.OFFBOARD_SECRET_TTL_SECONDS?.trim();
      if (ttlText !== undefined && ttlText.length > 0 && !/^\d+$/.test(ttlText)) {
        return yield* ConfigError.of(["OFFBOARD_SECRET_TTL_SECONDS must be a whole number"]);
      }
      const ttlMs = ttlText !== undefined && ttlText.length > 0 ? Number(ttlText) * 1000 : DEFAULT_SECRET_TTL_MS;
      const cache = options.secrets ?? sharedSecretCache(secretArn, ttlMs);
      secret = yield* cache.get;
    }
    const result = configFromSources(env, secret, options.registry);
    return Result.isFailure(result) ? yield* result.failure : result.success;
  }).pipe(Effect.withSpan("loadConfig"));

const routesLine = (policy: RoutingPolicy): string =>
  LIFECYCLE_KINDS.map((k) => `${k} → ${policy.routes[k].length > 0 ? policy.routes[k].join("+") : "nothing"}`).join(
    ", ",
  );

/**
 * A safe summary of the configuration, one fact a line, for `offboard replay` and the Lambda's cold-start
 * log: which sinks are active and where they deliver, whether the HR check is on, the routing, and
 * warnings (a routed sink that is not active). Never contains a secret.
 */
export const describeConfig = (config: AppConfig, registry: SinkRegistry = SINK_REGISTRY): ReadonlyArray<string> => {
  const lines: Array<string> = [];
  const active = activeSinkNames(config, registry);
  lines.push(`sinks active: ${active.length > 0 ? active.join(", ") : "none"}`);
  for (const [name, definition] of Object.entries(registry)) {
    if (active.includes(name)) continue;
    lines.push(`${name}: inactive (set ${orList(definition.requires)} to enable)`);
  }
  for (const name of active) {
    const definition = registry[name];
    const settings = config.sinks[name];
    if (definition === undefined || settings === undefined) continue;
    lines.push(`${name}: ${definition.describe !== undefined ? definition.describe(settings) : "active"}`);
  }
  lines.push(
    config.bamboohr !== undefined
      ? `hris: BambooHR (${config.bamboohr.companyDomain}), cached ${Math.round(config.bamboohr.cacheTtlMs / 1000)} s`
      : "hris: off (set BAMBOOHR_COMPANY_DOMAIN and BAMBOOHR_API_KEY to enable)",
  );
  lines.push(`routes: ${routesLine(config.policy)}`);
  if (config.policy.ignoreActors.length > 0) lines.push(`ignored actors: ${config.policy.ignoreActors.join(", ")}`);
  lines.push(
    `ledger: ${config.ledgerTable !== undefined ? `DynamoDB table ${config.ledgerTable}` : `local, in ${config.stateDir}`}`,
  );
  if (config.secretArn !== undefined) lines.push(`secrets: from Secrets Manager ${config.secretArn}`);
  for (const kind of LIFECYCLE_KINDS) {
    const inactive = config.policy.routes[kind].filter((s) => !active.includes(s));
    if (inactive.length > 0) {
      lines.push(
        `warning: ${kind} events route to ${inactive.join(", ")}, which ${inactive.length > 1 ? "are" : "is"} not active`,
      );
    }
  }
  return lines;
};
