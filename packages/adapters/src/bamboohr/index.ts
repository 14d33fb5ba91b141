/**
 * `@offboard/adapters/bamboohr`: the BambooHR directory behind the core's `HrisDirectory` port (one
 * custom report, cached, looked up by work email). Plain `fetch`, no SDK.
 *
 * @example
 * ```ts
 * import { BambooHrDirectory } from "@offboard/adapters/bamboohr";
 *
 * const hris = BambooHrDirectory.layer(settings); // provides HrisDirectory to processBatch
 * ```
 *
 * @packageDocumentation
 */
export { bambooHrDirectory, DEFAULT_BAMBOOHR_CACHE_TTL_SECONDS } from "./definition.ts";
export { BambooHrDirectory, type BambooHrOptions, makeBambooHrDirectory } from "./directory.ts";
export type { BambooHrSettings } from "./settings.ts";
