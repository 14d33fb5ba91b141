import { Result, Schema } from "effect";
import { LIFECYCLE_KINDS, type LifecycleKind } from "../domain/catalogue.ts";
import { PolicyError } from "../errors.ts";

/**
 * The routing policy: which sinks each lifecycle kind goes to, whose actions to ignore, and which
 * kinds get an HRIS cross-check. Declarative data, validated on load.
 */
export interface RoutingPolicy {
  /** kind → sink names, in delivery order (a sink later in the list sees earlier sinks' receipts). */
  readonly routes: Readonly<Record<LifecycleKind, ReadonlyArray<string>>>;
  /** Okta actor ids or logins (case-insensitive) whose actions are ignored, such as offboard's own service account. */
  readonly ignoreActors: ReadonlyArray<string>;
  /** The `outcome.result` an event must have to be acted on; null acts on any outcome. */
  readonly requiredOutcome: string | null;
  /** Kinds for which the HR system is asked whether it agrees. */
  readonly hrisCheck: ReadonlyArray<LifecycleKind>;
}

/**
 * Defaults (docs/architecture.md): every kind goes to Jira, then to Slack (whose alert links the
 * ticket). Jira does what the user's case needs and nothing else (open, comment, close, or skip: the
 * case state machine decides), so a kind that needs no ticket costs no Jira call. Follow-ups thread
 * onto the case the earlier event opened. The configuration narrows the default routes to the sinks
 * that are configured; a policy given explicitly is kept as written.
 */
export const DEFAULT_POLICY: RoutingPolicy = {
  routes: {
    suspended: ["jira", "slack"],
    unsuspended: ["jira", "slack"],
    deactivated: ["jira", "slack"],
    reactivated: ["jira", "slack"],
    deleted: ["jira", "slack"],
  },
  ignoreActors: [],
  requiredOutcome: "SUCCESS",
  hrisCheck: ["deactivated", "deleted", "reactivated"],
};

const Kind = Schema.Literals(LIFECYCLE_KINDS as ReadonlyArray<LifecycleKind>);
const SinkNames = Schema.Array(Schema.String);

const PolicyInput = Schema.Struct({
  routes: Schema.optionalKey(
    Schema.Struct({
      suspended: Schema.optionalKey(SinkNames),
      unsuspended: Schema.optionalKey(SinkNames),
      deactivated: Schema.optionalKey(SinkNames),
      reactivated: Schema.optionalKey(SinkNames),
      deleted: Schema.optionalKey(SinkNames),
    }),
  ),
  ignoreActors: Schema.optionalKey(Schema.Array(Schema.String)),
  requiredOutcome: Schema.optionalKey(Schema.NullOr(Schema.String)),
  hrisCheck: Schema.optionalKey(Schema.Array(Kind)),
});

const decodeInput = Schema.decodeUnknownResult(PolicyInput, { onExcessProperty: "error", errors: "all" });

/**
 * Validates a policy (a parsed JSON object) and merges it onto the defaults. Unknown keys, unknown kinds
 * and wrong types are errors that name the key. When `knownSinks` is given, every routed sink name must
 * be one of them.
 */
export const parsePolicy = (
  input: unknown,
  knownSinks?: ReadonlyArray<string>,
): Result.Result<RoutingPolicy, PolicyError> => {
  const decoded = decodeInput(input);
  if (Result.isFailure(decoded)) {
    return Result.fail(new PolicyError({ message: `invalid routing policy: ${decoded.failure.message}` }));
  }
  const p = decoded.success;
  const routes = { ...DEFAULT_POLICY.routes, ...p.routes };
  if (knownSinks !== undefined) {
    for (const kind of LIFECYCLE_KINDS) {
      for (const sink of routes[kind]) {
        if (!knownSinks.includes(sink)) {
          return Result.fail(
            new PolicyError({
              message: `invalid routing policy: routes.${kind} names sink "${sink}", known sinks are ${knownSinks.join(", ")}`,
            }),
          );
        }
      }
    }
  }
  return Result.succeed({
    routes,
    ignoreActors: p.ignoreActors ?? DEFAULT_POLICY.ignoreActors,
    requiredOutcome: p.requiredOutcome === undefined ? DEFAULT_POLICY.requiredOutcome : p.requiredOutcome,
    hrisCheck: p.hrisCheck ?? DEFAULT_POLICY.hrisCheck,
  });
};

/** The policy with every route narrowed to the given sinks (for the default policy: only configured sinks). */
export const narrowRoutes = (policy: RoutingPolicy, sinks: ReadonlyArray<string>): RoutingPolicy => ({
  ...policy,
  routes: {
    suspended: policy.routes.suspended.filter((s) => sinks.includes(s)),
    unsuspended: policy.routes.unsuspended.filter((s) => sinks.includes(s)),
    deactivated: policy.routes.deactivated.filter((s) => sinks.includes(s)),
    reactivated: policy.routes.reactivated.filter((s) => sinks.includes(s)),
    deleted: policy.routes.deleted.filter((s) => sinks.includes(s)),
  },
});

/** Parses a policy from JSON text, with the same checks as `parsePolicy`. */
export const parsePolicyJson = (
  json: string,
  knownSinks?: ReadonlyArray<string>,
): Result.Result<RoutingPolicy, PolicyError> => {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return Result.fail(new PolicyError({ message: `routing policy is not JSON: ${(e as Error).message}` }));
  }
  return parsePolicy(value, knownSinks);
};
