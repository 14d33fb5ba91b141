import { readFileSync } from "node:fs";
import { DEFAULT_POLICY, parsePolicyJson, type RoutingPolicy } from "@offboard/core";
import { Result } from "effect";
import type { SettingsReader } from "../sink-definition.ts";

/**
 * The routing policy: OFFBOARD_POLICY (inline JSON) or OFFBOARD_POLICY_FILE, else the default, plus
 * OFFBOARD_IGNORE_ACTORS. `sinkNames` are the sinks a route may name (the registry's).
 */
export const readPolicy = (r: SettingsReader, sinkNames: ReadonlyArray<string>): RoutingPolicy => {
  const inline = r.string("OFFBOARD_POLICY");
  const file = r.string("OFFBOARD_POLICY_FILE");
  let policy = DEFAULT_POLICY;
  let json: string | undefined;
  let source = "OFFBOARD_POLICY";
  if (inline !== undefined && file !== undefined) {
    r.problems.push("OFFBOARD_POLICY and OFFBOARD_POLICY_FILE are both set; set one");
  } else if (inline !== undefined) {
    json = inline;
  } else if (file !== undefined) {
    source = "OFFBOARD_POLICY_FILE";
    try {
      json = readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as { code?: string }).code;
      r.problems.push(`OFFBOARD_POLICY_FILE: cannot read ${file}${code !== undefined ? ` (${code})` : ""}`);
    }
  }
  if (json !== undefined) {
    const parsed = parsePolicyJson(json, sinkNames);
    if (Result.isFailure(parsed)) r.problems.push(`${source}: ${parsed.failure.message}`);
    else policy = parsed.success;
  }
  const extra = r.list("OFFBOARD_IGNORE_ACTORS", ",");
  if (extra !== undefined && extra.length > 0) {
    const seen = new Set(policy.ignoreActors.map((a) => a.toLowerCase()));
    const merged = [...policy.ignoreActors, ...extra.filter((a) => !seen.has(a.toLowerCase()))];
    policy = { ...policy, ignoreActors: merged };
  }
  return policy;
};
