/**
 * docs/adding-a-sink.md, followed to the letter: the guide's webhook sink (docs/snippets/webhook-sink.ts)
 * is added to a registry with one line, and the configuration picks it up without any change to
 * config.ts: its keys are read and validated, it is inactive until switched on, half-configured is an
 * error, it is summarised, routable, built, and it delivers over real HTTP.
 */
import { inspect } from "node:util";
import { startLoopback } from "@offboard/testkit";
import { Effect, Redacted, Result } from "effect";
import { describe, expect, it } from "vitest";
import { webhookSink } from "../../../docs/snippets/webhook-sink.ts";
import {
  type AppConfig,
  CONFIG_KEYS,
  type ConfigError,
  configFromSources,
  configKeys,
  describeConfig,
  loadConfig,
  SINK_REGISTRY,
  type SinkDefinition,
  sinkSettings,
  sinksFromConfig,
} from "../src/index.ts";
import { deliveryContext, offboardingEvent } from "./slack-jira.factories.ts";

/** The guide's step 2: one more line in the registry. */
const REGISTRY = { ...SINK_REGISTRY, webhook: webhookSink } as const;

type Env = Record<string, string | undefined>;

const WEBHOOK_TOKEN = "whk-secret-token-0123456789";
const webhookEnv = (overrides: Env = {}): Env => ({
  WEBHOOK_URL: "https://hooks.example.com/T0SECRETPATH/offboard",
  WEBHOOK_TOKEN,
  ...overrides,
});

const configure = (env: Env, secret: Record<string, string> = {}): Result.Result<AppConfig, ConfigError> =>
  configFromSources(env, new Map(Object.entries(secret).map(([k, v]) => [k, Redacted.make(v)] as const)), REGISTRY);

const configured = (env: Env, secret: Record<string, string> = {}): AppConfig => {
  const result = configure(env, secret);
  if (Result.isFailure(result)) throw new Error(result.failure.message);
  return result.success;
};

const problems = (env: Env): ReadonlyArray<string> => {
  const result = configure(env);
  if (Result.isSuccess(result)) throw new Error("expected a configuration error");
  return result.failure.problems;
};

describe("a sink added as docs/adding-a-sink.md says", () => {
  it("declares its keys next to the core and built-in keys", () => {
    const names = configKeys(REGISTRY).map((k) => k.name);
    expect(names).toEqual([
      ...CONFIG_KEYS.map((k) => k.name),
      "WEBHOOK_URL",
      "WEBHOOK_TOKEN",
      "WEBHOOK_TIMEOUT_SECONDS",
    ]);
  });

  it("is inactive, and says how to enable it, while none of its required keys is set", () => {
    const config = configured({});
    expect(config.sinks).toEqual({});
    expect(describeConfig(config, REGISTRY)).toContain(
      "webhook: inactive (set WEBHOOK_URL and WEBHOOK_TOKEN to enable)",
    );
  });

  it("is an error naming the missing key when only some required keys are set", () => {
    expect(problems({ WEBHOOK_URL: "https://hooks.example.com/x" })).toEqual([
      "WEBHOOK_TOKEN is required when WEBHOOK_URL is set",
    ]);
  });

  it("has its values validated, every problem in the same single error as the core's", () => {
    expect(
      problems(
        webhookEnv({
          WEBHOOK_URL: "http://hooks.example.com/x",
          WEBHOOK_TIMEOUT_SECONDS: "0",
          OFFBOARD_TIME_ZONE: "Mars/Olympus",
        }),
      ),
    ).toEqual([
      'OFFBOARD_TIME_ZONE "Mars/Olympus" is not an IANA time zone such as Europe/Berlin',
      "WEBHOOK_URL must be an https URL (plain http is allowed only to 127.0.0.1 or localhost)",
      "WEBHOOK_TIMEOUT_SECONDS must be a whole number of at least 1",
    ]);
  });

  it("reads its settings with their defaults once its required keys are set", () => {
    const settings = sinkSettings(configured(webhookEnv()), webhookSink);
    expect(settings).toMatchObject({ url: "https://hooks.example.com/T0SECRETPATH/offboard", timeoutMs: 5_000 });
    expect(Redacted.value(settings!.token)).toBe(WEBHOOK_TOKEN);
  });

  it("takes its secret key from the secret over the environment, like every built-in credential", () => {
    const config = configured(webhookEnv({ WEBHOOK_TOKEN: "whk-stale-env-token" }), { WEBHOOK_TOKEN });
    expect(Redacted.value(sinkSettings(config, webhookSink)!.token)).toBe(WEBHOOK_TOKEN);
  });

  it("appears in the summary through its describe, without its token or URL path", () => {
    const lines = describeConfig(configured(webhookEnv()), REGISTRY);
    expect(lines).toContain("sinks active: webhook");
    expect(lines).toContain("webhook: posts to https://hooks.example.com, timeout 5 s");
    expect(lines.join("\n")).not.toContain(WEBHOOK_TOKEN);
    expect(lines.join("\n")).not.toContain("T0SECRETPATH");
  });

  it("keeps its token out of every printed form of the configuration", () => {
    const config = configured(webhookEnv());
    expect(JSON.stringify(config)).not.toContain(WEBHOOK_TOKEN);
    expect(inspect(config, { depth: 10 })).not.toContain(WEBHOOK_TOKEN);
  });

  it("may be named in a routing policy", () => {
    const config = configured(webhookEnv({ OFFBOARD_POLICY: JSON.stringify({ routes: { deleted: ["webhook"] } }) }));
    expect(config.policy.routes.deleted).toEqual(["webhook"]);
  });

  it("is unknown to a registry that does not list it", () => {
    const result = configFromSources({ OFFBOARD_POLICY: JSON.stringify({ routes: { deleted: ["webhook"] } }) });
    expect(Result.isFailure(result) && result.failure.problems[0]).toContain('names sink "webhook"');
  });

  it("is loaded by loadConfig given the registry", async () => {
    const config = await Effect.runPromise(loadConfig({ env: webhookEnv(), registry: REGISTRY }));
    expect(Object.keys(config.sinks)).toEqual(["webhook"]);
  });

  it("is built by sinksFromConfig after the built-in sinks and delivers over HTTP", async () => {
    const receiver = await startLoopback(() => ({ status: 202, body: { accepted: true } }));
    try {
      const config = configured(
        webhookEnv({
          WEBHOOK_URL: `${receiver.url}/hooks/offboard`,
          SLACK_BOT_TOKEN: "xoxb-1",
          SLACK_CHANNEL_ID: "C0123456789",
        }),
      );
      const sinks = sinksFromConfig(config, [], REGISTRY);
      expect(sinks.map((s) => s.name)).toEqual(["slack", "webhook"]);

      const event = offboardingEvent();
      const receipt = await Effect.runPromise(sinks[1]!.deliver(event, deliveryContext(event)));
      expect(receipt).toMatchObject({ sink: "webhook", ref: event.id });
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]).toMatchObject({ method: "POST", path: "/hooks/offboard" });
      expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);
    } finally {
      await receiver.close();
    }
  });
});

describe("a sink definition that breaks the guide", () => {
  it("fails loudly when it reads a key it did not declare", () => {
    const sloppy: SinkDefinition<string> = {
      name: "sloppy",
      keys: [{ name: "SLOPPY_URL", secret: false }],
      requires: ["SLOPPY_URL"],
      read: (r) => r.string("SLOPPY_TOKEN"),
      make: () => ({ name: "sloppy", deliver: () => Effect.die("unused") }),
    };
    expect(() => configFromSources({ SLOPPY_URL: "https://x.example.com" }, new Map(), { sloppy })).toThrow(
      "offboard reads SLOPPY_TOKEN, which no ConfigKey declares",
    );
  });
});
