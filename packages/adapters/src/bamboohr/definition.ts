import type { HrisDefinition } from "../sink-definition.ts";
import { BAMBOOHR_DEFAULT_BASE_URL, BambooHrDirectory } from "./directory.ts";
import type { BambooHrSettings } from "./settings.ts";

/** How long the BambooHR directory is cached, in seconds, unless BAMBOOHR_CACHE_TTL_SECONDS says otherwise. */
export const DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS = 300;

/**
 * The BambooHR cross-check's configuration: on with BAMBOOHR_COMPANY_DOMAIN and BAMBOOHR_API_KEY; rows
 * in docs/configuration.md.
 */
export const bambooHrDirectory: HrisDefinition<BambooHrSettings> = {
  name: "bamboohr",
  keys: [
    { name: "BAMBOOHR_COMPANY_DOMAIN", secret: false, description: "Company subdomain: acme for acme.bamboohr.com" },
    { name: "BAMBOOHR_API_KEY", secret: true, description: "API key of a user who may run custom reports" },
    {
      name: "BAMBOOHR_BASE_URL",
      secret: false,
      default: BAMBOOHR_DEFAULT_BASE_URL,
      description: "Base URL of BambooHR's API, for proxies and tests",
    },
    {
      name: "BAMBOOHR_CACHE_TTL_SECONDS",
      secret: false,
      default: String(DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS),
      description: "How long the company's directory is cached; 0 reads it on every lookup",
    },
  ],
  requires: ["BAMBOOHR_COMPANY_DOMAIN", "BAMBOOHR_API_KEY"],
  read: (r) => {
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
  },
  layer: (settings) => BambooHrDirectory.layer(settings),
  describe: (s) => `BambooHR (${s.companyDomain}), cached ${Math.round(s.cacheTtlMs / 1000)} s`,
};
