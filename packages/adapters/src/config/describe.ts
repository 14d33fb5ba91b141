import { LIFECYCLE_KINDS, type RoutingPolicy } from "@offboard/core";
import { activeSinkNames, HRIS_DEFINITION, SINK_REGISTRY } from "../registry.ts";
import type { SinkRegistry } from "../sink-definition.ts";
import type { AppConfig } from "./config.ts";
import { orList } from "./settings-reader.ts";

const routesLine = (policy: RoutingPolicy): string =>
  LIFECYCLE_KINDS.map((k) => `${k} → ${policy.routes[k].length > 0 ? policy.routes[k].join("+") : "nothing"}`).join(
    ", ",
  );

/**
 * A safe summary of the configuration, one fact a line, for `offboard replay` and the Lambda's cold-start
 * log: which sinks are active and where they deliver, whether the HR check is on, the routing, and
 * warnings (a routed sink that is not active). Never contains a secret.
 */
export const describeConfig = (config: AppConfig, registry: SinkRegistry = SINK_REGISTRY): ReadonlyArray<string> => {
  const lines: Array<string> = [];
  const active = activeSinkNames(config, registry);
  lines.push(`sinks active: ${active.length > 0 ? active.join(", ") : "none"}`);
  for (const [name, definition] of Object.entries(registry)) {
    if (active.includes(name)) continue;
    lines.push(`${name}: inactive (set ${orList(definition.requires)} to enable)`);
  }
  for (const name of active) {
    const definition = registry[name];
    const settings = config.sinks[name];
    if (definition === undefined || settings === undefined) continue;
    lines.push(`${name}: ${definition.describe !== undefined ? definition.describe(settings) : "active"}`);
  }
  lines.push(
    config.hris !== undefined
      ? `hris: ${HRIS_DEFINITION.describe !== undefined ? HRIS_DEFINITION.describe(config.hris) : HRIS_DEFINITION.name}`
      : `hris: off (set ${orList(HRIS_DEFINITION.requires)} to enable)`,
  );
  lines.push(`routes: ${routesLine(config.policy)}`);
  if (config.policy.ignoreActors.length > 0) lines.push(`ignored actors: ${config.policy.ignoreActors.join(", ")}`);
  lines.push(
    `ledger: ${config.ledgerTable !== undefined ? `DynamoDB table ${config.ledgerTable}` : `local, in ${config.stateDir}`}`,
  );
  if (config.secretArn !== undefined) lines.push(`secrets: from Secrets Manager ${config.secretArn}`);
  for (const w of config.warnings ?? []) lines.push(`warning: ${w}`);
  for (const kind of LIFECYCLE_KINDS) {
    const inactive = config.policy.routes[kind].filter((s) => !active.includes(s));
    if (inactive.length > 0) {
      lines.push(
        `warning: ${kind} events route to ${inactive.join(", ")}, which ${inactive.length > 1 ? "are" : "is"} not active`,
      );
    }
  }
  return lines;
};
