/**
 * What a sink file exports so that offboard can configure it: its settings keys, how to read and validate
 * them, and how to build the sink. config/ reads every definition in the registry (registry.ts) the
 * same way, so adding a sink is one file exporting a `SinkDefinition` plus one registry line
 * (docs/adding-a-sink.md). This module holds types only: sink files import it without importing the
 * configuration loader.
 */
import type { HrisDirectory, Sink } from "@offboard/core";
import type { Layer, Redacted } from "effect";

/** One documented setting. docs/configuration.md has one row per entry (a test checks it). */
export interface ConfigKey {
  /** The environment variable, and the key of the Secrets Manager JSON secret. */
  readonly name: string;
  /** True for credentials: read as `Redacted`, and the secret's value wins over the environment's. */
  readonly secret: boolean;
  /** The default, as docs/configuration.md shows it. */
  readonly default?: string;
  /** One line for readers of the code; the full text is the key's row in docs/configuration.md. */
  readonly description?: string;
}

/**
 * Reads settings with offboard's precedence (secret keys: secret over environment; other keys:
 * environment over secret), treating blank as unset, and collecting every problem in `problems` instead
 * of stopping, so a bad configuration fails once with all of them. Reading a key that no `ConfigKey`
 * declares is a programming error (it throws): every key offboard reads is declared, and so documented.
 */
export interface SettingsReader {
  /** Every problem found so far, one sentence each, naming the key and never its value. Push your own. */
  readonly problems: Array<string>;
  /** The trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined;
  has(name: string): boolean;
  string(name: string): string | undefined;
  /** A credential, wrapped in `Redacted` (labelled with the key); must not contain whitespace. */
  redacted(name: string): Redacted.Redacted<string> | undefined;
  /** A whole number of at least `min`, or `fallback` when unset (or invalid, after recording a problem). */
  int(name: string, min: number, fallback: number): number;
  /**
   * An absolute URL without a trailing slash. With `credentials: true` it must be https (plain http only
   * to 127.0.0.1 / localhost, for tests and local proxies) and carry no user info.
   */
  url(name: string, opts: { readonly credentials: boolean }): string | undefined;
  /** Items split on `separator`, trimmed, blanks dropped. */
  list(name: string, separator: string): ReadonlyArray<string> | undefined;
  /**
   * True when every key of `requires` is set; false when none is; false with a problem naming the
   * missing keys when only some are ("X is required when Y is set").
   */
  completeness(requires: ReadonlyArray<string>): boolean;
}

/** Settings every sink may use, read once by the core configuration. */
export interface CommonSettings {
  /** OFFBOARD_TIME_ZONE (default UTC), validated. */
  readonly timeZone: string;
  /** OKTA_ORG_URL, validated, without a trailing slash. */
  readonly oktaOrgUrl?: string;
}

/**
 * Everything offboard needs to know about one sink. `S` is the sink's settings type (plain values,
 * secrets `Redacted`).
 */
export interface SinkDefinition<S> {
  /** The sink's name: its key in SINK_REGISTRY, in routing policies, in receipts (`Sink.name`). */
  readonly name: string;
  /** Every environment / secret key the sink reads. */
  readonly keys: ReadonlyArray<ConfigKey>;
  /** The keys that must all be set for the sink to be active (none set: inactive; some: an error). */
  readonly requires: ReadonlyArray<string>;
  /**
   * Reads and validates the settings. Called only when every `requires` key is set. Record each problem
   * in `r.problems` and carry on (so one error lists them all); return undefined when a problem leaves
   * no usable settings.
   */
  readonly read: (r: SettingsReader, common: CommonSettings) => S | undefined;
  /** Builds the sink from valid settings. No I/O: clients connect on first use. */
  make(settings: S): Sink;
  /** A one-line safe summary ("channel C0123…"), shown after "<name>: " in the configuration summary. Never a secret. */
  describe?(settings: S): string;
}

/**
 * A definition whose settings type is forgotten: what the registry holds. (`make` and `describe` are
 * declared as methods so a `SinkDefinition<SlackSettings>` is one.)
 */
export type AnySinkDefinition = SinkDefinition<unknown>;

/** A registry: sink name → definition. */
export type SinkRegistry = Readonly<Record<string, AnySinkDefinition>>;

/**
 * Everything offboard needs to know about the HR directory it cross-checks against (BambooHR today):
 * the same shape as a sink's definition, but it builds a layer for the core's `HrisDirectory` port.
 * The registry names one (`HRIS_DEFINITION`); config/ reads it like the sinks.
 */
export interface HrisDefinition<S> {
  /** The directory's name, for summaries ("bamboohr"). */
  readonly name: string;
  readonly keys: ReadonlyArray<ConfigKey>;
  /** The keys that must all be set to switch the cross-check on. */
  readonly requires: ReadonlyArray<string>;
  readonly read: (r: SettingsReader, common: CommonSettings) => S | undefined;
  /** The `HrisDirectory` layer over valid settings. No I/O until the first lookup. */
  layer(settings: S): Layer.Layer<HrisDirectory>;
  /** A one-line safe summary ("BambooHR (acme), cached 300 s"). Never a secret. */
  describe?(settings: S): string;
}

/** An HRIS definition whose settings type is forgotten. */
export type AnyHrisDefinition = HrisDefinition<unknown>;
