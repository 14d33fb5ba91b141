import type { Redacted } from "effect";

/** The BambooHR directory's settings, read by its definition (definition.ts); the key `Redacted` end to end. */
export interface BambooHrSettings {
  /** The company subdomain: `acme` for acme.bamboohr.com (BAMBOOHR_COMPANY_DOMAIN). */
  readonly companyDomain: string;
  readonly apiKey: Redacted.Redacted<string>;
  /** Base URL override (BAMBOOHR_BASE_URL), for proxies and tests; default https://api.bamboohr.com. */
  readonly baseUrl?: string;
  /** How long a directory read is cached (BAMBOOHR_CACHE_TTL_SECONDS, default 300). */
  readonly cacheTtlMs: number;
  /** Per-request timeout in ms (default 2000). */
  readonly timeoutMs: number;
}
