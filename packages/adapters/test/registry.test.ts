import { HrisDirectory, type Sink, SinkError } from "@offboard/core";
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import {
  type AppConfig,
  CONFIG_KEYS,
  configFromSources,
  HRIS_DEFINITION,
  hrisFromConfig,
  KNOWN_SINKS,
  SECRET_KEYS,
  SINK_REGISTRY,
  sinkSettings,
  sinksFromConfig,
  slackSink,
} from "../src/index.ts";

/** A valid value for each key a sink requires. */
const SAMPLE: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: "xoxb-fake_registry-test",
  SLACK_CHANNEL_ID: "C0123456789",
  JIRA_BASE_URL: "https://acme.atlassian.net",
  JIRA_EMAIL: "bot@acme.com",
  JIRA_API_TOKEN: "jira-registry-test",
  JIRA_PROJECT_KEY: "IT",
  BAMBOOHR_COMPANY_DOMAIN: "acme",
  BAMBOOHR_API_KEY: "bamboo-registry-test",
};

const envWith = (keys: ReadonlyArray<string>): Record<string, string> =>
  Object.fromEntries(keys.map((k) => [k, SAMPLE[k] ?? `missing sample for ${k}`]));

const configWith = (keys: ReadonlyArray<string>): AppConfig => {
  const result = configFromSources(envWith(keys));
  if (result._tag === "Failure") throw new Error(result.failure.message);
  return result.success;
};

const previewSink = (name: string): Sink => ({
  name,
  deliver: () => Effect.fail(new SinkError({ sink: name, failure: "permanent", message: "preview only" })),
});

describe("SINK_REGISTRY", () => {
  it("knows the Slack and Jira sinks", () => {
    expect(KNOWN_SINKS).toEqual(["slack", "jira"]);
  });

  it.each(KNOWN_SINKS)("activates %s when exactly its required keys are set", (name) => {
    const sinks = sinksFromConfig(configWith(SINK_REGISTRY[name].requires));
    expect(sinks.map((s) => s.name)).toEqual([name]);
  });

  it.each(KNOWN_SINKS)("documents every key %s requires", (name) => {
    const documented = new Set(CONFIG_KEYS.map((k) => k.name));
    expect(SINK_REGISTRY[name].requires.filter((k) => !documented.has(k))).toEqual([]);
  });

  it.each(KNOWN_SINKS)("lists %s under the name its definition and its sink carry", (name) => {
    const definition = SINK_REGISTRY[name];
    expect(definition.name).toBe(name);
    const settings = configWith(definition.requires).sinks[name];
    expect(settings).toBeDefined();
    expect(definition.make(settings as never).name).toBe(name);
  });

  it.each(KNOWN_SINKS)("declares the keys %s requires among its own keys", (name) => {
    const own = new Set(SINK_REGISTRY[name].keys.map((k) => k.name));
    expect(SINK_REGISTRY[name].requires.filter((k) => !own.has(k))).toEqual([]);
  });

  it("declares each setting once across the core and every sink", () => {
    const names = CONFIG_KEYS.map((k) => k.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("marks exactly the credentials as secret", () => {
    expect([...SECRET_KEYS].sort()).toEqual([
      "BAMBOOHR_API_KEY",
      "JIRA_API_TOKEN",
      "OKTA_API_TOKEN",
      "SLACK_BOT_TOKEN",
    ]);
  });
});

describe("sinksFromConfig", () => {
  it("builds every active sink in registry order", () => {
    const sinks = sinksFromConfig(configWith([...SINK_REGISTRY.jira.requires, ...SINK_REGISTRY.slack.requires]));
    expect(sinks.map((s) => s.name)).toEqual(["slack", "jira"]);
  });

  it("keeps an active sink's settings under its name, read back typed by its definition", () => {
    const config = configWith(SINK_REGISTRY.slack.requires);
    expect(Object.keys(config.sinks)).toEqual(["slack"]);
    expect(sinkSettings(config, slackSink)).toBe(config.sinks.slack);
  });

  it("builds nothing when nothing is configured", () => {
    expect(sinksFromConfig(configWith([]))).toEqual([]);
  });

  it("adds extra sinks after the configured ones", () => {
    const sinks = sinksFromConfig(configWith(SINK_REGISTRY.slack.requires), [previewSink("console")]);
    expect(sinks.map((s) => s.name)).toEqual(["slack", "console"]);
  });

  it("lets an extra sink stand in for a configured one of the same name", () => {
    const preview = previewSink("slack");
    const sinks = sinksFromConfig(configWith(SINK_REGISTRY.slack.requires), [preview]);
    expect(sinks).toEqual([preview]);
  });
});

describe("hrisFromConfig", () => {
  const configured = (config: AppConfig) =>
    Effect.runPromise(Effect.map(HrisDirectory, (h) => h.configured).pipe(Effect.provide(hrisFromConfig(config))));

  it("uses BambooHR when its keys are set", async () => {
    expect(await configured(configWith(HRIS_DEFINITION.requires))).toBe(true);
  });

  it("says 'not configured' when BambooHR is not set up", async () => {
    expect(await configured(configWith([]))).toBe(false);
  });
});
