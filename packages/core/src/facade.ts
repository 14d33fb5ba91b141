/**
 * Plain functions over the effect core, for callers who do not use effect: `classify` (synchronous),
 * `promiseSink` (a sink from an async function) and `runPipeline` (a batch through the real pipeline,
 * resolved as a Promise). They run exactly the code the Lambda worker runs: same decoder, same
 * decisions, same ledger protocol, same error policy.
 */
import { Effect, Layer, Result } from "effect";
import type { Decision } from "./domain/decide.ts";
import type { OffboardingEvent } from "./domain/event.ts";
import type { Employee } from "./domain/hris.ts";
import { type FailureClass, HrisError, SinkError } from "./errors.ts";
import { DEFAULT_SETTINGS, decideBody, type InputRecord, PipelineConfig, processBatch } from "./pipeline.ts";
import type { RecordOutcome } from "./policy/error-policy.ts";
import { DEFAULT_POLICY, parsePolicy, type RoutingPolicy } from "./policy/policy.ts";
import { HrisDirectory } from "./ports/hris.ts";
import { DeliveryLedger, makeInMemoryLedger } from "./ports/ledger.ts";
import { type DeliveryContext, type Sink, Sinks, sinksOf } from "./ports/sink.ts";

/**
 * A routing policy as the policy file takes it: any subset of `routes`, `ignoreActors`,
 * `requiredOutcome` and `hrisCheck`, merged onto the defaults and validated (unknown keys are errors).
 */
export type PolicyJson = unknown;

const policyOf = (policy: PolicyJson | undefined): RoutingPolicy => {
  if (policy === undefined) return DEFAULT_POLICY;
  const parsed = parsePolicy(policy);
  if (Result.isFailure(parsed)) throw parsed.failure;
  return parsed.success;
};

/**
 * Decodes a delivery (an EventBridge envelope, an Event Hook payload, a System Log API array, a bare
 * LogEvent, or JSON / JSON Lines text) and decides every event in it: `Route` (with the normalised
 * `OffboardingEvent` and the sinks it goes to), `Ignore` (with the reason) or `Reject` (with the error).
 * The same decisions the pipeline makes. Synchronous, pure, and total: any input yields decisions,
 * never a throw (only an invalid `policy` throws, a `PolicyError` naming the key).
 *
 * @param body - the delivery, as text or already parsed
 * @param policy - a routing policy in the policy file's JSON form; the defaults when omitted
 * @returns one decision per event found (one `Reject` when nothing could be decoded)
 *
 * @example
 * ```ts
 * import { classify } from "@offboard/core";
 *
 * for (const decision of classify(requestBody)) {
 *   if (decision._tag === "Route") console.log(decision.event.kind, decision.event.subject.login, decision.sinks);
 *   if (decision._tag === "Reject") console.warn(decision.error.code, decision.error.message);
 * }
 * ```
 */
export const classify = (body: string | unknown, policy?: PolicyJson): ReadonlyArray<Decision> =>
  decideBody(body, policyOf(policy)).map((d) => d.decision);

/** What a promise sink resolves to: the sink's own reference for what it made, and a link when there is one. */
export interface PromiseReceipt {
  /** The sink's id for what it made: a ticket key, a message id, a row number. */
  readonly ref: string;
  /** A link a person can open. */
  readonly url?: string;
  /** Details to keep with the case, for follow-ups (a channel id, a thread id). */
  readonly detail?: Readonly<Record<string, string>>;
}

/** Options of {@link promiseSink}. */
export interface PromiseSinkOptions {
  /**
   * Classifies a thrown error: `"permanent"` (retrying cannot help: the record is rejected with the
   * error's message, for an operator to fix and redrive) or `"transient"` (the record is retried).
   * Default: every error is transient.
   */
  readonly classifyError?: (error: unknown) => FailureClass;
}

/**
 * Makes a {@link Sink} from an async function, for callers who do not write effect. The function gets the
 * normalised event, the delivery context (the earlier case for follow-ups, the HRIS verdict, the receipts of
 * the sinks that ran before it, an idempotency key) and an `AbortSignal` that fires when the pipeline gives
 * up on the attempt (its sink timeout). What it throws becomes a `SinkError`, transient unless
 * `classifyError` says otherwise.
 *
 * @param name - the sink's name, as the routing policy names it
 * @param deliver - delivers one event; resolves to the receipt
 *
 * @example
 * ```ts
 * import { promiseSink } from "@offboard/core";
 *
 * const webhook = promiseSink("webhook", async (event, context) => {
 *   const res = await fetch("https://hooks.example.com/offboard", {
 *     method: "POST",
 *     headers: { "content-type": "application/json", "idempotency-key": context.idempotencyKey },
 *     body: JSON.stringify({ kind: event.kind, user: event.subject.login }),
 *   });
 *   if (!res.ok) throw new Error(`webhook answered ${res.status}`);
 *   return { ref: res.headers.get("x-request-id") ?? context.idempotencyKey };
 * });
 * ```
 */
export const promiseSink = (
  name: string,
  deliver: (event: OffboardingEvent, context: DeliveryContext, signal: AbortSignal) => Promise<PromiseReceipt>,
  options: PromiseSinkOptions = {},
): Sink => ({
  name,
  deliver: (event, context) =>
    Effect.map(
      Effect.tryPromise({
        try: (signal) => deliver(event, context, signal),
        catch: (cause) =>
          cause instanceof SinkError
            ? cause
            : new SinkError({
                sink: name,
                failure: options.classifyError?.(cause) ?? "transient",
                message: cause instanceof Error ? cause.message : String(cause),
                cause,
              }),
      }),
      (r) => ({
        sink: name,
        ref: r.ref,
        ...(r.url !== undefined && { url: r.url }),
        ...(r.detail !== undefined && { detail: r.detail }),
      }),
    ),
});

/**
 * Where {@link runPipeline} remembers what it delivered (per event and sink) and the open case per user.
 * The one `runPipeline` returns can be passed to the next call, so a repeated event is a duplicate.
 * Any `DeliveryLedger` service works here (the adapters' SQLite and DynamoDB ledgers build one).
 */
export type PipelineLedger = DeliveryLedger["Service"];

/** A ledger in memory, for {@link runPipeline}: what `runPipeline` uses when it is given none. */
export const memoryLedger = (): PipelineLedger => makeInMemoryLedger();

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  /** The sinks events may be routed to, by name (see {@link promiseSink}). */
  readonly sinks: ReadonlyArray<Sink>;
  /** A routing policy in the policy file's JSON form; the defaults when omitted. */
  readonly policy?: PolicyJson;
  /** The ledger to use; a new one in memory when omitted. */
  readonly ledger?: PipelineLedger;
  /** The HR directory to cross-check deactivations against; none when omitted. */
  readonly hris?: {
    /** The employee with this work email, or undefined when HR has none. */
    readonly findByEmail: (email: string) => Promise<Employee | undefined>;
  };
  /** How many different users are processed at once (default 8). */
  readonly concurrency?: number;
  /** How long one sink attempt may take, in ms, before it counts as a transient failure (default 10 s). */
  readonly sinkTimeoutMs?: number;
}

/** What {@link runPipeline} resolves to. */
export interface RunPipelineResult {
  /** One outcome per record, in order: delivered, ignored, rejected (with the reason) or retry-later. */
  readonly outcomes: ReadonlyArray<RecordOutcome>;
  /** The ledger used: pass it to the next call. */
  readonly ledger: PipelineLedger;
}

/**
 * Runs records through the delivery pipeline (decode, decide, HRIS cross-check, sinks in policy order,
 * ledger claims so nothing is delivered twice) and resolves with one outcome per record. Never rejects for
 * bad input or a failing sink: those are outcomes. Rejects only for an invalid `policy` (a `PolicyError`)
 * or two sinks with the same name.
 *
 * @param records - `{ id, body }`: an id of your choosing and a delivery as text or parsed JSON
 *
 * @example
 * ```ts
 * import { promiseSink, runPipeline } from "@offboard/core";
 *
 * const log = promiseSink("log", async (event) => ({ ref: `${event.kind}:${event.subject.login}` }));
 * const policy = { routes: { suspended: ["log"], deactivated: ["log"] } };
 * const first = await runPipeline([{ id: "1", body: oktaEventJson }], { sinks: [log], policy });
 * // The same event again, with the same ledger: a duplicate, delivered nowhere.
 * const again = await runPipeline([{ id: "2", body: oktaEventJson }], { sinks: [log], policy, ledger: first.ledger });
 * ```
 */
export const runPipeline = async (
  records: ReadonlyArray<InputRecord>,
  options: RunPipelineOptions,
): Promise<RunPipelineResult> => {
  const policy = policyOf(options.policy);
  const ledger = options.ledger ?? memoryLedger();
  const hris = options.hris;
  const layer = Layer.mergeAll(
    PipelineConfig.layer({
      policy,
      concurrency: options.concurrency ?? DEFAULT_SETTINGS.concurrency,
      sinkTimeoutMs: options.sinkTimeoutMs ?? DEFAULT_SETTINGS.sinkTimeoutMs,
    }),
    Layer.succeed(DeliveryLedger, ledger),
    Layer.succeed(Sinks, sinksOf(options.sinks)),
    hris === undefined
      ? HrisDirectory.none
      : Layer.succeed(HrisDirectory, {
          configured: true,
          findByEmail: (email: string) =>
            Effect.tryPromise({
              try: () => hris.findByEmail(email),
              catch: (cause) =>
                new HrisError({ message: cause instanceof Error ? cause.message : String(cause), cause }),
            }),
        }),
  );
  const outcomes = await Effect.runPromise(Effect.provide(processBatch(records), layer));
  return { outcomes, ledger };
};
