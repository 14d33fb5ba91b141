import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { DEFAULT_POLICY } from "@offboard/core";
import { Effect, Redacted } from "effect";
import { describe, expect, it } from "vitest";
import {
  type AppConfig,
  bambooHrDirectory,
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_JIRA_CHECKLIST,
  describeConfig,
  hrisSettings,
  jiraSink,
  loadConfig,
  type SecretCache,
  sinkSettings,
  slackSink,
} from "../../src/index.ts";

type Env = Record<string, string | undefined>;

const SLACK_TOKEN = "xoxb-fake_111-222-slack-secret-token";
const JIRA_TOKEN = "ATATT3x-jira-secret-token";
const BAMBOO_KEY = "bamboo-secret-api-key-0123456789";
const OKTA_TOKEN = "00okta-secret-api-token";

const slackEnv = (): Env => ({ SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_CHANNEL_ID: "C0123456789" });
const jiraEnv = (): Env => ({
  JIRA_BASE_URL: "https://acme.atlassian.net",
  JIRA_EMAIL: "offboard-bot@acme.com",
  JIRA_API_TOKEN: JIRA_TOKEN,
  JIRA_PROJECT_KEY: "IT",
});
const bambooEnv = (): Env => ({ BAMBOOHR_COMPANY_DOMAIN: "acme", BAMBOOHR_API_KEY: BAMBOO_KEY });
const fullEnv = (overrides: Env = {}): Env => ({
  ...slackEnv(),
  ...jiraEnv(),
  ...bambooEnv(),
  OKTA_ORG_URL: "https://acme.okta.com",
  OKTA_API_TOKEN: OKTA_TOKEN,
  ...overrides,
});

const load = (env: Env, secrets?: SecretCache) =>
  Effect.runPromise(loadConfig(secrets === undefined ? { env } : { env, secrets }));
const loadError = (env: Env, secrets?: SecretCache) =>
  Effect.runPromise(Effect.flip(loadConfig(secrets === undefined ? { env } : { env, secrets })));

/** A secret already fetched: stands in for Secrets Manager (tested against moto in secrets.test.ts). */
const fixedSecret = (values: Record<string, string>): SecretCache => ({
  secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
  get: Effect.succeed(new Map(Object.entries(values).map(([k, v]) => [k, Redacted.make(v)] as const))),
});

describe("loadConfig", () => {
  it("activates every sink whose required settings are all present", async () => {
    const config = await load(fullEnv());
    expect(sinkSettings(config, slackSink)?.channelId).toBe("C0123456789");
    expect(sinkSettings(config, jiraSink)?.projectKey).toBe("IT");
    expect(hrisSettings(config, bambooHrDirectory)?.companyDomain).toBe("acme");
    expect(Redacted.value(sinkSettings(config, slackSink)!.token)).toBe(SLACK_TOKEN);
    expect(Redacted.value(sinkSettings(config, jiraSink)!.apiToken)).toBe(JIRA_TOKEN);
    expect(Redacted.value(hrisSettings(config, bambooHrDirectory)!.apiKey)).toBe(BAMBOO_KEY);
    expect(Redacted.value(config.oktaApiToken!)).toBe(OKTA_TOKEN);
  });

  it("applies the documented defaults when only the required keys are set", async () => {
    const config = await load(fullEnv());
    expect(sinkSettings(config, slackSink)).toMatchObject({ timeZone: "UTC", oktaOrgUrl: "https://acme.okta.com" });
    expect(sinkSettings(config, slackSink)?.apiUrl).toBeUndefined();
    expect(sinkSettings(config, jiraSink)).toMatchObject({
      issueType: "Task",
      kinds: ["deactivated", "deleted"],
      labels: [],
    });
    expect(config.pipeline.ticketKinds).toEqual(["deactivated", "deleted"]);
    expect(sinkSettings(config, jiraSink)?.checklist).toEqual(DEFAULT_JIRA_CHECKLIST);
    expect(hrisSettings(config, bambooHrDirectory)).toMatchObject({ cacheTtlMs: 300_000 });
    expect(config.stateDir).toBe(".offboard");
    expect(config.policy).toEqual(DEFAULT_POLICY);
  });

  it("activates nothing and still loads when no sink is configured (the default routes stay whole)", async () => {
    const config = await load({});
    expect(sinkSettings(config, slackSink)).toBeUndefined();
    expect(sinkSettings(config, jiraSink)).toBeUndefined();
    expect(hrisSettings(config, bambooHrDirectory)).toBeUndefined();
    expect(config.pipeline.policy).toEqual(DEFAULT_POLICY);
  });

  it("narrows the default routes to the active sinks, and keeps an explicit policy as written", async () => {
    const slackOnly = await load(slackEnv());
    expect(slackOnly.policy.routes.deactivated).toEqual(["slack"]);
    const explicit = await load({
      ...slackEnv(),
      OFFBOARD_POLICY: JSON.stringify({ routes: { deleted: ["jira", "slack"] } }),
    });
    expect(explicit.policy.routes.deleted).toEqual(["jira", "slack"]);
  });

  it("reads OFFBOARD_MAX_CLOCK_SKEW_SECONDS into the pipeline settings", async () => {
    const config = await load({ ...slackEnv(), OFFBOARD_MAX_CLOCK_SKEW_SECONDS: "60" });
    expect(config.pipeline.maxClockSkewMs).toBe(60_000);
  });

  it("reads the trusted Okta partner source, and refuses one that is not an Okta partner source", async () => {
    const config = await load({ ...slackEnv(), OFFBOARD_OKTA_SOURCE_PREFIX: "aws.partner/okta.com/acme" });
    expect(config.oktaSourcePrefix).toBe("aws.partner/okta.com/acme");
    const error = await loadError({ ...slackEnv(), OFFBOARD_OKTA_SOURCE_PREFIX: "aws.partner/evil.example/x" });
    expect(error.problems).toEqual([
      expect.stringContaining("OFFBOARD_OKTA_SOURCE_PREFIX must be your Okta partner event source"),
    ]);
  });

  it("warns about an unknown key with offboard's prefix, naming the nearest known one, and never its value", async () => {
    const config = await load({ ...slackEnv(), SLACK_BOT_TOKN: "xoxb-typo_value" });
    const lines = describeConfig(config);
    const warning = lines.find((l) => l.includes("SLACK_BOT_TOKN"));
    expect(warning).toBe(
      "warning: unknown key SLACK_BOT_TOKN in the environment: did you mean SLACK_BOT_TOKEN? (it is ignored; known keys are listed in docs/configuration.md)",
    );
    expect(lines.join("\n")).not.toContain("xoxb-typo_value");
  });

  it("treats blank values as unset", async () => {
    const config = await load({ SLACK_BOT_TOKEN: "  ", SLACK_CHANNEL_ID: "" });
    expect(sinkSettings(config, slackSink)).toBeUndefined();
  });

  it("names the missing key of a partially configured sink", async () => {
    const error = await loadError({ SLACK_BOT_TOKEN: SLACK_TOKEN });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual(["SLACK_CHANNEL_ID is required when SLACK_BOT_TOKEN is set"]);
  });

  it("lists every problem in one error", async () => {
    const error = await loadError({
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      ...jiraEnv(),
      JIRA_BASE_URL: "http://acme.atlassian.net",
      JIRA_EMAIL: undefined,
      BAMBOOHR_API_KEY: BAMBOO_KEY,
      OFFBOARD_TIME_ZONE: "Mars/Olympus",
      OFFBOARD_CONCURRENCY: "0",
    });
    expect(error.problems).toEqual(
      expect.arrayContaining([
        "SLACK_CHANNEL_ID is required when SLACK_BOT_TOKEN is set",
        "JIRA_EMAIL is required when JIRA_BASE_URL, JIRA_API_TOKEN and JIRA_PROJECT_KEY are set",
        "BAMBOOHR_COMPANY_DOMAIN is required when BAMBOOHR_API_KEY is set",
        'OFFBOARD_TIME_ZONE "Mars/Olympus" is not an IANA time zone such as Europe/Berlin',
        "OFFBOARD_CONCURRENCY must be a whole number of at least 1",
      ]),
    );
    expect(error.problems).toHaveLength(5);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it("rejects a Jira base URL that is not https", async () => {
    const error = await loadError(fullEnv({ JIRA_BASE_URL: "http://acme.atlassian.net" }));
    expect(error.problems).toEqual([
      "JIRA_BASE_URL must be an https URL (plain http is allowed only to 127.0.0.1 or localhost)",
    ]);
  });

  it("accepts plain http to a loopback host for tests and local proxies", async () => {
    const config = await load(
      fullEnv({ JIRA_BASE_URL: "http://127.0.0.1:8080/", SLACK_API_URL: "http://localhost:9/api" }),
    );
    expect(sinkSettings(config, jiraSink)?.baseUrl).toBe("http://127.0.0.1:8080");
    expect(sinkSettings(config, slackSink)?.apiUrl).toBe("http://localhost:9/api/");
  });

  it("rejects a Slack channel given by name instead of id", async () => {
    const error = await loadError(fullEnv({ SLACK_CHANNEL_ID: "#it-offboarding" }));
    expect(error.problems[0]).toMatch(/^SLACK_CHANNEL_ID must be a channel id such as C0123456789/);
  });

  it("rejects a BambooHR domain given as a full host name", async () => {
    const error = await loadError(fullEnv({ BAMBOOHR_COMPANY_DOMAIN: "acme.bamboohr.com" }));
    expect(error.problems).toEqual([
      "BAMBOOHR_COMPANY_DOMAIN must be the company subdomain only: acme for https://acme.bamboohr.com",
    ]);
  });

  it("reads the Jira options: kinds, checklist, labels, reactivation transition", async () => {
    const config = await load(
      fullEnv({
        JIRA_ISSUE_TYPE: "Service Request",
        JIRA_KINDS: "deactivated, deleted",
        JIRA_CHECKLIST: "Recover laptop; Remove from payroll ;",
        JIRA_LABELS: "offboarding,security",
        JIRA_REACTIVATE_TRANSITION: "Reopen",
      }),
    );
    expect(sinkSettings(config, jiraSink)).toMatchObject({
      issueType: "Service Request",
      kinds: ["deactivated", "deleted"],
      checklist: ["Recover laptop", "Remove from payroll"],
      labels: ["offboarding", "security"],
      reactivateTransition: "Reopen",
    });
  });

  it("names unknown lifecycle kinds in JIRA_KINDS", async () => {
    const error = await loadError(fullEnv({ JIRA_KINDS: "deactivate,deleted" }));
    expect(error.problems).toEqual([
      'JIRA_KINDS has unknown kind "deactivate"; known kinds are suspended, unsuspended, deactivated, reactivated, deleted',
    ]);
  });

  it("reads the pipeline settings in the units the pipeline uses", async () => {
    const config = await load({
      OFFBOARD_CONCURRENCY: "4",
      OFFBOARD_LEASE_SECONDS: "90",
      BAMBOOHR_CACHE_TTL_SECONDS: "5",
    });
    expect(config.pipeline).toMatchObject({ concurrency: 4, leaseMs: 90_000 });
  });

  it("refuses a lease that a slow sink call could outlive", async () => {
    const error = await loadError(fullEnv({ OFFBOARD_LEASE_SECONDS: "5" }));
    expect(error.problems).toEqual([
      "OFFBOARD_LEASE_SECONDS (5) must be longer than one sink attempt may take (OFFBOARD_SINK_TIMEOUT_SECONDS, 10), or a retry could deliver twice",
    ]);
    const config = await load({ OFFBOARD_LEASE_SECONDS: "5", OFFBOARD_SINK_TIMEOUT_SECONDS: "3" });
    expect(config.pipeline).toMatchObject({ leaseMs: 5_000, sinkTimeoutMs: 3_000 });
  });

  it("reads the worker's ledger table, dead-letter queue and state directory", async () => {
    const config = await load({
      OFFBOARD_LEDGER_TABLE: "offboard-ledger",
      OFFBOARD_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/offboard-dlq",
      OFFBOARD_STATE_DIR: "/tmp/offboard",
    });
    expect(config).toMatchObject({
      ledgerTable: "offboard-ledger",
      dlqUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/offboard-dlq",
      stateDir: "/tmp/offboard",
    });
  });
});

describe("routing policy settings", () => {
  it("parses OFFBOARD_POLICY over the defaults", async () => {
    const config = await load({ OFFBOARD_POLICY: JSON.stringify({ routes: { suspended: [] } }) });
    expect(config.policy.routes.suspended).toEqual([]);
    expect(config.policy.routes.deactivated).toEqual(DEFAULT_POLICY.routes.deactivated);
    expect(config.pipeline.policy).toBe(config.policy);
  });

  it("rejects a policy that routes to a sink offboard does not know", async () => {
    const error = await loadError({ OFFBOARD_POLICY: JSON.stringify({ routes: { deleted: ["teams"] } }) });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('OFFBOARD_POLICY: invalid routing policy: routes.deleted names sink "teams"');
  });

  it("reads the policy from OFFBOARD_POLICY_FILE", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "offboard-policy-"));
    const file = path.join(dir, "policy.json");
    writeFileSync(file, JSON.stringify({ requiredOutcome: null }));
    const config = await load({ OFFBOARD_POLICY_FILE: file });
    expect(config.policy.requiredOutcome).toBeNull();
  });

  it("names a policy file that cannot be read", async () => {
    const error = await loadError({ OFFBOARD_POLICY_FILE: "/nonexistent/policy.json" });
    expect(error.problems).toEqual(["OFFBOARD_POLICY_FILE: cannot read /nonexistent/policy.json (ENOENT)"]);
  });

  it("refuses both policy sources at once", async () => {
    const error = await loadError({ OFFBOARD_POLICY: "{}", OFFBOARD_POLICY_FILE: "/tmp/p.json" });
    expect(error.problems).toEqual(["OFFBOARD_POLICY and OFFBOARD_POLICY_FILE are both set; set one"]);
  });

  it("merges OFFBOARD_IGNORE_ACTORS into the policy's ignored actors without duplicates", async () => {
    const config = await load({
      OFFBOARD_POLICY: JSON.stringify({ ignoreActors: ["svc-scim@acme.com"] }),
      OFFBOARD_IGNORE_ACTORS: "svc-offboard@acme.com, SVC-SCIM@acme.com",
    });
    expect(config.policy.ignoreActors).toEqual(["svc-scim@acme.com", "svc-offboard@acme.com"]);
  });
});

describe("settings from the Secrets Manager secret", () => {
  const arnEnv = { OFFBOARD_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf" };

  it("takes the secret keys from the secret even when the environment also sets them", async () => {
    const config = await load(
      { ...arnEnv, SLACK_BOT_TOKEN: "xoxb-fake_stale-env-token", SLACK_CHANNEL_ID: "C0123456789" },
      fixedSecret({ SLACK_BOT_TOKEN: SLACK_TOKEN }),
    );
    expect(Redacted.value(sinkSettings(config, slackSink)!.token)).toBe(SLACK_TOKEN);
    expect(config.secretArn).toBe(arnEnv.OFFBOARD_SECRET_ARN);
  });

  it("lets the environment override the secret's non-secret keys", async () => {
    const config = await load(
      { ...arnEnv, SLACK_CHANNEL_ID: "C0000000ENV" },
      fixedSecret({ SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_CHANNEL_ID: "C00000SECRET" }),
    );
    expect(sinkSettings(config, slackSink)?.channelId).toBe("C0000000ENV");
  });

  it("fills keys the environment does not set from the secret", async () => {
    const config = await load(
      { ...arnEnv, JIRA_BASE_URL: "https://acme.atlassian.net", JIRA_PROJECT_KEY: "IT" },
      fixedSecret({ JIRA_EMAIL: "bot@acme.com", JIRA_API_TOKEN: JIRA_TOKEN }),
    );
    expect(sinkSettings(config, jiraSink)?.email).toBe("bot@acme.com");
    expect(Redacted.value(sinkSettings(config, jiraSink)!.apiToken)).toBe(JIRA_TOKEN);
  });

  it("does not read the secret when OFFBOARD_SECRET_ARN is not set", async () => {
    const config = await load(slackEnv(), {
      secretArn: "unused",
      get: Effect.die("the secret must not be read without OFFBOARD_SECRET_ARN"),
    });
    expect(Redacted.value(sinkSettings(config, slackSink)!.token)).toBe(SLACK_TOKEN);
  });
});

describe("secrets never print", () => {
  const everyToken = [SLACK_TOKEN, JIRA_TOKEN, BAMBOO_KEY, OKTA_TOKEN];
  const expectNoToken = (text: string) => {
    for (const token of everyToken) expect(text).not.toContain(token);
  };

  it("keeps every token out of String, JSON and inspect output of the configuration", async () => {
    const config = await load(fullEnv());
    expectNoToken(String(config));
    expectNoToken(JSON.stringify(config));
    expectNoToken(inspect(config, { depth: 10 }));
    expect(JSON.stringify(config)).toContain("<redacted");
  });

  it("keeps every token out of the summary", async () => {
    expectNoToken(describeConfig(await load(fullEnv())).join("\n"));
  });

  it("keeps tokens out of errors about them", async () => {
    const error = await loadError(
      fullEnv({
        SLACK_BOT_TOKEN: `${SLACK_TOKEN} ${SLACK_TOKEN}`,
        SLACK_CHANNEL_ID: undefined,
        JIRA_BASE_URL: `http://x/${JIRA_TOKEN}`,
      }),
    );
    expect(error.problems.length).toBeGreaterThanOrEqual(2);
    expectNoToken(error.message);
    expectNoToken(String(error));
    expectNoToken(inspect(error, { depth: 10 }));
    expectNoToken(JSON.stringify(error));
  });
});

describe("describeConfig", () => {
  it("says which sinks are active and where they deliver", async () => {
    const lines = describeConfig(await load(fullEnv()));
    expect(lines).toContain("sinks active: slack, jira");
    expect(lines.join("\n")).toContain("slack: channel C0123456789");
    expect(lines.join("\n")).toContain("jira: project IT at https://acme.atlassian.net, issue type Task");
    expect(lines.join("\n")).toContain("hris: BambooHR (acme)");
  });

  it("says how to enable what is off and warns about routes to inactive sinks", async () => {
    const lines = describeConfig(await load(slackEnv()));
    expect(lines).toContain("sinks active: slack");
    expect(lines).toContain(
      "jira: inactive (set JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and JIRA_PROJECT_KEY to enable)",
    );
    expect(lines).toContain("hris: off (set BAMBOOHR_COMPANY_DOMAIN and BAMBOOHR_API_KEY to enable)");
    // The default routes use only the active sinks: nothing to warn about.
    expect(lines.filter((l) => l.startsWith("warning:"))).toEqual([]);
    expect(lines).toContain(
      "routes: suspended → slack, unsuspended → slack, deactivated → slack, reactivated → slack, deleted → slack",
    );
  });

  it("describes a configuration built by hand", () => {
    const config: AppConfig = { sinks: {}, policy: DEFAULT_POLICY, pipeline: {}, stateDir: ".offboard" };
    expect(describeConfig(config)).toContain("sinks active: none");
  });
});

describe("docs/configuration.md", () => {
  const docs = path.resolve(__dirname, "../../../../docs/configuration.md");

  it("has a table row for every setting offboard reads", () => {
    const text = readFileSync(docs, "utf8");
    const missing = CONFIG_KEYS.filter((k) => !new RegExp(`^\\|\\s*\`${k.name}\``, "m").test(text));
    expect(missing.map((k) => k.name)).toEqual([]);
  });
});
