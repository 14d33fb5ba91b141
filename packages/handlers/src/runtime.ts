import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  ConfigError,
  DEFAULT_SECRET_TTL_MS,
  DynamoDbLedger,
  describeConfig,
  hrisFromConfig,
  loadConfig,
  oktaUserStatusFromConfig,
  SINK_REGISTRY,
  SqliteLedger,
  secretTtlMs,
  sinksFromConfig,
} from "@offboard/adapters";
import { PipelineConfig, type PipelineServices, queueTrust, type Sink, sinksLayer } from "@offboard/core";
import { Effect, Layer, ManagedRuntime } from "effect";
import { DeadLetterQueue } from "./dlq.ts";
import { effectLogLayer, makeTelemetry, Telemetry } from "./telemetry.ts";

/** Everything `handleBatch` needs. */
export type WorkerServices = PipelineServices | DeadLetterQueue | Telemetry;

/** What `liveLayer` builds the worker's services from: the environment, telemetry, the SQS client. */
export interface LiveLayerOptions {
  /** The environment to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The DLQ URL; overrides OFFBOARD_DLQ_URL (the worker's --dlq-url). */
  readonly dlqUrl?: string;
  /** Refuse to start without OFFBOARD_LEDGER_TABLE (Lambda: a SQLite file in /tmp would forget deliveries). */
  readonly requireLedgerTable?: boolean;
  /** Shared across rebuilds so logs and metrics keep one identity. */
  readonly telemetry?: Telemetry["Service"];
  /** The SQS client for the DLQ, built once per process and shared across rebuilds. */
  readonly sqs?: SQSClient;
  /** Extra sinks (a sink with a registered name replaces it): for tests and previews. */
  readonly extraSinks?: ReadonlyArray<Sink>;
}

/**
 * The production layer: configuration (environment + Secrets Manager), the configured sinks and HR
 * directory, the ledger (DynamoDB when OFFBOARD_LEDGER_TABLE is set, else SQLite under the state
 * directory), the DLQ and telemetry. Logs a safe summary of the configuration when built.
 */
export const liveLayer = (options: LiveLayerOptions = {}): Layer.Layer<WorkerServices, unknown> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* loadConfig(options.env !== undefined ? { env: options.env } : {});
      const telemetry = options.telemetry ?? makeTelemetry();
      if (config.ledgerTable === undefined && options.requireLedgerTable === true) {
        return yield* ConfigError.of([
          "OFFBOARD_LEDGER_TABLE is required here: the worker must remember deliveries across invocations (the CDK stack sets it)",
        ]);
      }
      const sinks = sinksFromConfig(config, options.extraSinks ?? []);
      if (sinks.length === 0) {
        // Every routed event would be acknowledged with nowhere to go: refuse to start instead.
        return yield* ConfigError.of([noActiveSink()]);
      }
      const ledger =
        config.ledgerTable !== undefined
          ? DynamoDbLedger.layer({ tableName: config.ledgerTable })
          : SqliteLedger.layer({ path: join(config.stateDir, "ledger.sqlite") });
      const dlqUrl = options.dlqUrl ?? config.dlqUrl;
      // Okta's authoritative user status, only when Okta read access is configured.
      const userStatus = yield* Effect.try({
        try: () => oktaUserStatusFromConfig(config, options.env ?? process.env, "offboard-worker"),
        catch: (e) => e,
      });
      telemetry.logger.info("configuration loaded", {
        summary: describeConfig(config),
        dlq: dlqUrl ?? "none (rejected records are left to the queue's redrive policy)",
      });
      return Layer.mergeAll(
        sinksLayer(sinks),
        hrisFromConfig(config),
        userStatus,
        ledger,
        // The queue worker trusts EventBridge envelopes from Okta (the configured partner source, when
        // OFFBOARD_OKTA_SOURCE_PREFIX is set) and offboard's own sources only.
        PipelineConfig.layer({ ...config.pipeline, trust: queueTrust(config.oktaSourcePrefix) }),
        DeadLetterQueue.layer({ url: dlqUrl, ...(options.sqs !== undefined && { client: options.sqs }) }),
        Layer.succeed(Telemetry, telemetry),
        effectLogLayer(telemetry.logger),
      );
    }),
  );

/** The start-up error when no sink is active, naming the keys that would activate each. */
const noActiveSink = (): string =>
  `no sink is active, so the worker would have nowhere to deliver: set ${Object.values(SINK_REGISTRY)
    .map((d) => `${d.requires.join(" and ")} (${d.name})`)
    .join(", or ")}`;

/** Runs effects needing the worker's services; rebuilds them (configuration, secrets, sinks) after a TTL. */
export interface WorkerRuntime {
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, WorkerServices>,
    options?: { readonly signal?: AbortSignal },
  ) => Promise<A>;
  readonly dispose: () => Promise<void>;
}

/** When a worker runtime rebuilds its services, and what it does when that fails. */
export interface WorkerRuntimeOptions {
  /** Rebuild the services this long after they were built (picks up a rotated secret). Default: never. */
  readonly refreshMs?: number;
  readonly now?: () => number;
  /** Told when a rebuild failed and the previous services are kept. */
  readonly onRefreshFailed?: (error: unknown) => void;
  /** Told when the first build failed (nothing to fall back on: the batch fails and SQS redelivers). */
  readonly onBuildFailed?: (error: unknown) => void;
  /** Told when a run on built services fails as a whole (deadline, defect): its cause, before it is rethrown. */
  readonly onRunFailed?: (error: unknown) => void;
}

interface Slot {
  readonly runtime: ManagedRuntime.ManagedRuntime<WorkerServices, unknown>;
  builtAt: number;
  inflight: number;
  retired: boolean;
}

/**
 * One `ManagedRuntime` over `build()`'s layer, built on first use (once per Lambda cold start) and
 * reused. A build that fails is not kept: the next call tries again (a Secrets Manager blip at cold
 * start must not poison the container). After `refreshMs` a new runtime is built beside the old one;
 * if that fails the old one stays in service. A retired runtime is disposed once its last run ends.
 */
export const makeWorkerRuntime = (
  build: () => Layer.Layer<WorkerServices, unknown>,
  options: WorkerRuntimeOptions = {},
): WorkerRuntime => {
  const now = options.now ?? Date.now;
  let current: Slot | undefined;
  let pending: Promise<Slot> | undefined;

  const disposeWhenIdle = (slot: Slot) => {
    slot.retired = true;
    if (slot.inflight === 0) void slot.runtime.dispose();
  };

  const buildSlot = async (): Promise<Slot> => {
    const slot: Slot = { runtime: ManagedRuntime.make(build()), builtAt: now(), inflight: 0, retired: false };
    try {
      await slot.runtime.runPromise(Effect.void);
      return slot;
    } catch (error) {
      void slot.runtime.dispose();
      throw error;
    }
  };

  const acquire = async (): Promise<Slot> => {
    const existing = current;
    const stale =
      existing !== undefined && options.refreshMs !== undefined && now() - existing.builtAt >= options.refreshMs;
    if (existing !== undefined && !stale) return existing;
    pending ??= buildSlot()
      .then((slot) => {
        if (current !== undefined) disposeWhenIdle(current);
        current = slot;
        return slot;
      })
      .catch((error: unknown) => {
        if (existing === undefined) {
          options.onBuildFailed?.(error);
          throw error;
        }
        options.onRefreshFailed?.(error);
        existing.builtAt = now();
        return existing;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return {
    run: async (effect, runOptions) => {
      const slot = await acquire();
      slot.inflight += 1;
      try {
        return await slot.runtime.runPromise(
          effect,
          runOptions?.signal !== undefined ? { signal: runOptions.signal } : undefined,
        );
      } catch (error) {
        options.onRunFailed?.(error);
        throw error;
      } finally {
        slot.inflight -= 1;
        if (slot.retired && slot.inflight === 0) void slot.runtime.dispose();
      }
    },
    dispose: async () => {
      const slot = current;
      current = undefined;
      if (slot !== undefined) await slot.runtime.dispose();
    },
  };
};

/** How often a worker rebuilds its services: the secret's TTL when secrets come from Secrets Manager. */
export const refreshIntervalMs = (env: Readonly<Record<string, string | undefined>>): number | undefined => {
  if ((env.OFFBOARD_SECRET_ARN ?? "").trim().length === 0) return undefined;
  const ttlMs = secretTtlMs(env);
  // An invalid TTL fails the configuration load itself, with its own message.
  return typeof ttlMs === "number" ? ttlMs : DEFAULT_SECRET_TTL_MS;
};

/**
 * The Lambda's runtime: DynamoDB ledger required, clients built once per cold start, services rebuilt
 * after the secret's TTL.
 */
export const lambdaRuntime = (env: Readonly<Record<string, string | undefined>> = process.env): WorkerRuntime => {
  const telemetry = makeTelemetry();
  const sqs = new SQSClient({});
  const refreshMs = refreshIntervalMs(env);
  return makeWorkerRuntime(() => liveLayer({ env, requireLedgerTable: true, telemetry, sqs }), {
    ...(refreshMs !== undefined && { refreshMs }),
    onRefreshFailed: (error) =>
      telemetry.logger.warn("configuration refresh failed; keeping the previous configuration", {
        error: error instanceof Error ? error.message : String(error),
      }),
    // Without this a bad setting only shows as every record failing: say which setting, once per attempt.
    onBuildFailed: (error) =>
      telemetry.logger.error("cannot start: configuration or clients failed; the batch will be redelivered", {
        error: error instanceof Error ? error.message : String(error),
      }),
    // Every failed invocation says why (Lambda about to time out, a defect), not only "retrying".
    onRunFailed: (error) =>
      telemetry.logger.error("invocation failed; every record of the batch will be redelivered", {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  });
};
