import { HRIS_DEFINITION, SINK_REGISTRY } from "../registry.ts";
import { DEFAULT_SECRET_TTL_MS } from "../secrets/secret-cache.ts";
import type { ConfigKey, SinkRegistry } from "../sink-definition.ts";

const key = (name: string, secret = false, defaultValue?: string): ConfigKey =>
  defaultValue === undefined ? { name, secret } : { name, secret, default: defaultValue };

/** The time zone alerts show times in unless OFFBOARD_TIME_ZONE says otherwise. */
export const DEFAULT_TIME_ZONE = "UTC";
/** Where local state (SQLite ledger, outbox, rejected records) lives unless OFFBOARD_STATE_DIR says otherwise. */
export const DEFAULT_STATE_DIR = ".offboard";

/** The settings that belong to no sink: secret, Okta, routing, worker, local state. */
export const CORE_CONFIG_KEYS: ReadonlyArray<ConfigKey> = [
  key("OFFBOARD_SECRET_ARN"),
  key("OFFBOARD_SECRET_TTL_SECONDS", false, String(DEFAULT_SECRET_TTL_MS / 1000)),
  key("OKTA_ORG_URL"),
  key("OKTA_API_TOKEN", true),
  key("OFFBOARD_TIME_ZONE", false, DEFAULT_TIME_ZONE),
  key("OFFBOARD_POLICY"),
  key("OFFBOARD_POLICY_FILE"),
  key("OFFBOARD_IGNORE_ACTORS"),
  key("OFFBOARD_CONCURRENCY", false, "8"),
  key("OFFBOARD_LEASE_SECONDS", false, "120"),
  key("OFFBOARD_SINK_TIMEOUT_SECONDS", false, "10"),
  key("OFFBOARD_MAX_CLOCK_SKEW_SECONDS", false, "300"),
  key("OFFBOARD_LEDGER_TABLE"),
  key("OFFBOARD_DLQ_URL"),
  key("OFFBOARD_OKTA_SOURCE_PREFIX"),
  key("OFFBOARD_STATE_DIR", false, DEFAULT_STATE_DIR),
  key("AWS_ENDPOINT_URL"),
];

/** The core keys, the HR directory's, then every registered sink's keys, in registry order. */
export const configKeys = (registry: SinkRegistry = SINK_REGISTRY): ReadonlyArray<ConfigKey> => [
  ...CORE_CONFIG_KEYS,
  ...HRIS_DEFINITION.keys,
  ...Object.values(registry).flatMap((definition) => definition.keys),
];

/** Every environment variable and secret key offboard reads. */
export const CONFIG_KEYS: ReadonlyArray<ConfigKey> = configKeys();

/** The keys whose values are credentials. */
export const SECRET_KEYS: ReadonlyArray<string> = CONFIG_KEYS.filter((k) => k.secret).map((k) => k.name);
