/**
 * The sink registry: every sink offboard knows. Adding a sink is one folder whose definition exports a
 * `SinkDefinition` (its keys, how to read them, how to build it) plus one line here
 * (docs/adding-a-sink.md). config/ reads every definition's keys; routing policies may name every sink
 * listed here. The HR directory is registered the same way, in `HRIS_DEFINITION`.
 */
import { HrisDirectory, type Sink } from "@offboard/core";
import type { Layer } from "effect";
import { bambooHrDirectory } from "./bamboohr/definition.ts";
import type { AppConfig } from "./config/config.ts";
import { jiraSink } from "./jira/definition.ts";
import type { AnyHrisDefinition, HrisDefinition, SinkDefinition, SinkRegistry } from "./sink-definition.ts";
import { slackSink } from "./slack/definition.ts";

export type {
  AnyHrisDefinition,
  AnySinkDefinition,
  CommonSettings,
  ConfigKey,
  HrisDefinition,
  SettingsReader,
  SinkDefinition,
  SinkRegistry,
} from "./sink-definition.ts";

/** Every sink offboard can configure, by name: one line per sink (docs/adding-a-sink.md). */
export const SINK_REGISTRY = {
  slack: slackSink,
  jira: jiraSink,
} as const satisfies SinkRegistry;

/** The name of a sink in `SINK_REGISTRY`. */
export type SinkName = keyof typeof SINK_REGISTRY;

/** Every sink name a routing policy may use (and `offboard replay` lists), in registry order. */
export const KNOWN_SINKS: ReadonlyArray<SinkName> = Object.keys(SINK_REGISTRY) as Array<SinkName>;

/** The HR directory offboard cross-checks against when its keys are set. */
export const HRIS_DEFINITION: AnyHrisDefinition = bambooHrDirectory;

/** A sink's settings in this configuration, typed by its definition; undefined when it is not active. */
export const sinkSettings = <S>(config: AppConfig, definition: SinkDefinition<S>): S | undefined =>
  config.sinks[definition.name] as S | undefined;

/** The names of the sinks this configuration activates, in registry order. */
export const activeSinkNames = (config: AppConfig, registry: SinkRegistry = SINK_REGISTRY): ReadonlyArray<string> =>
  Object.keys(registry).filter((name) => config.sinks[name] !== undefined);

/**
 * The active sinks, plus `extra` ones (`offboard replay`'s outbox and console preview, a test sink). An
 * extra sink with the name of a registered one replaces it, so a test can stand in for a vendor.
 */
export const sinksFromConfig = (
  config: AppConfig,
  extra: ReadonlyArray<Sink> = [],
  registry: SinkRegistry = SINK_REGISTRY,
): ReadonlyArray<Sink> => {
  const replaced = new Set(extra.map((s) => s.name));
  const built: Array<Sink> = [];
  for (const [name, definition] of Object.entries(registry)) {
    const settings = config.sinks[name];
    if (replaced.has(name) || settings === undefined) continue;
    built.push(definition.make(settings));
  }
  return [...built, ...extra];
};

/** The HR directory's settings in this configuration, typed by its definition; undefined when it is off. */
export const hrisSettings = <S>(config: AppConfig, definition: HrisDefinition<S>): S | undefined =>
  HRIS_DEFINITION === definition ? (config.hris as S | undefined) : undefined;

/** The HR directory when configured (HRIS_DEFINITION's layer), else `HrisDirectory.none` (alerts say "not configured"). */
export const hrisFromConfig = (config: AppConfig): Layer.Layer<HrisDirectory> =>
  config.hris !== undefined ? HRIS_DEFINITION.layer(config.hris) : HrisDirectory.none;
