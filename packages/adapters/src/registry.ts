/**
 * The sink registry: every sink offboard knows, the settings that switch it on, and how to build it.
 * Adding a sink is one adapter file plus one line here (docs/adding-a-sink.md). `config.ts` reads
 * `requires` to tell "not configured" (inactive) from "half configured" (an error naming the missing keys).
 */
import { HrisDirectory, type Sink } from "@offboard/core";
import type { Layer } from "effect";
import { BambooHrDirectory } from "./bamboohr.ts";
import type { AppConfig } from "./config.ts";
import { makeJiraSink } from "./jira.ts";
import { makeSlackSink } from "./slack.ts";

export interface SinkEntry {
  /** The environment / secret keys that must all be set for the sink to be active. */
  readonly requires: ReadonlyArray<string>;
  /** The sink, when the configuration activates it. */
  readonly make: (config: AppConfig) => Sink | undefined;
}

export const SINK_REGISTRY = {
  slack: { requires: ["SLACK_BOT_TOKEN", "SLACK_CHANNEL_ID"], make: (c) => c.slack && makeSlackSink(c.slack) },
  jira: {
    requires: ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"],
    make: (c) => c.jira && makeJiraSink(c.jira),
  },
} as const satisfies Readonly<Record<string, SinkEntry>>;

export type SinkName = keyof typeof SINK_REGISTRY;

/** Every sink name a routing policy may use. */
export const KNOWN_SINKS: ReadonlyArray<SinkName> = Object.keys(SINK_REGISTRY) as Array<SinkName>;

/** The names of the sinks this configuration activates, in registry order. */
export const activeSinkNames = (config: AppConfig): ReadonlyArray<SinkName> =>
  KNOWN_SINKS.filter((name) => config[name] !== undefined);

/**
 * The active sinks, plus `extra` ones (the console preview, a test sink). An extra sink with the name of
 * a registered one replaces it (the CLI's `--dry-run` swaps Slack for a preview this way).
 */
export const sinksFromConfig = (config: AppConfig, extra: ReadonlyArray<Sink> = []): ReadonlyArray<Sink> => {
  const replaced = new Set(extra.map((s) => s.name));
  const built: Array<Sink> = [];
  for (const name of KNOWN_SINKS) {
    if (replaced.has(name)) continue;
    const sink = SINK_REGISTRY[name].make(config);
    if (sink !== undefined) built.push(sink);
  }
  return [...built, ...extra];
};

/** The HR directory: BambooHR when configured, else `HrisDirectory.none` (alerts say "not configured"). */
export const hrisFromConfig = (config: AppConfig): Layer.Layer<HrisDirectory> =>
  config.bamboohr !== undefined ? BambooHrDirectory.layer(config.bamboohr) : HrisDirectory.none;
