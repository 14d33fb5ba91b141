/**
 * The one `SettingsReader` (sink-definition.ts): raw values from the environment and the Secrets Manager
 * JSON secret with offboard's precedence (secret keys: the secret wins; other keys: the environment
 * wins), blanks as unset, every problem collected instead of stopping.
 */
import { Redacted } from "effect";
import type { SecretValues } from "../secrets/secret-cache.ts";
import type { ConfigKey, SettingsReader } from "../sink-definition.ts";

/** "A", "A and B", "A, B and C". */
export const orList = (keys: ReadonlyArray<string>): string =>
  keys.length <= 1 ? (keys[0] ?? "") : `${keys.slice(0, -1).join(", ")} and ${keys[keys.length - 1]}`;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Reads raw values with the documented precedence, collecting every problem instead of stopping. */
export class ConfigReader implements SettingsReader {
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
