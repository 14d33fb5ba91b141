import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EventOutcome, Person, SinkOutcome } from "@offboard/core";
import { publishedMillis } from "@offboard/core";
import { Context, Effect, Logger as EffectLogger, Layer } from "effect";
import type { Disposition } from "./disposition.ts";

/**
 * Structured logs and CloudWatch metrics (EMF on stdout) with AWS Lambda Powertools. One log line per
 * Okta event (correlation id = the Okta event uuid) and one per record that is dead-lettered or
 * redelivered; one metrics flush per batch. Logs carry ids and logins only: never a display name, a
 * token or a body.
 */

/** Metric names, as they appear in CloudWatch under the namespace (POWERTOOLS_METRICS_NAMESPACE, default Offboard). */
export const METRICS = {
  eventsRouted: "EventsRouted",
  eventsIgnored: "EventsIgnored",
  eventsRejected: "EventsRejected",
  recordsDeadLettered: "RecordsDeadLettered",
  recordsRetried: "RecordsRetried",
  deadLetterFailures: "DeadLetterSendFailures",
  /** Per sink (dimension `sink`). */
  sinkDelivered: "SinkDelivered",
  sinkDuplicate: "SinkDuplicate",
  sinkFailed: "SinkFailed",
  sinkBusy: "SinkBusy",
  /** Routed events whose route names a sink that is not configured (no dimension: the stack alarms on it). */
  eventsSinkInactive: "EventsSinkInactive",
  /** From Okta's `published` to the moment the event's record was settled, per routed event. */
  lag: "ProcessingLag",
} as const;

/** Structured logs and CloudWatch metrics (Powertools) as a service: what the worker reports per record and batch. */
export class Telemetry extends Context.Service<
  Telemetry,
  {
    readonly logger: Logger;
    /** Logs and counts one settled batch, then flushes the metrics. */
    readonly report: (dispositions: ReadonlyArray<Disposition>) => Effect.Effect<void>;
  }
>()("offboard/Telemetry") {
  /** Powertools Logger and Metrics from the standard POWERTOOLS_* environment variables. */
  static readonly layer = (options: TelemetryOptions = {}) =>
    Layer.sync(Telemetry, () => Telemetry.of(makeTelemetry(options)));
}

/** A logged value as text: strings as they are, anything else as JSON. */
const messageText = (message: unknown): string =>
  (Array.isArray(message) ? message : [message])
    .map((m) => (typeof m === "string" ? m : m instanceof Error ? m.message : JSON.stringify(m)))
    .join(" ");

/**
 * effect's own log lines (`Effect.logWarning` in the pipeline and adapters) written through the
 * Powertools logger, so they are JSON lines like every other: a value carrying a newline (a hostile
 * Okta user id) stays inside its JSON string and can never start a line of its own. effect's default
 * logger prints the message raw.
 */
export const effectLogLayer = (logger: Logger): Layer.Layer<never> =>
  EffectLogger.layer([
    EffectLogger.make(({ logLevel, message }) => {
      const text = messageText(message);
      if (logLevel === "Fatal" || logLevel === "Error") logger.error(text);
      else if (logLevel === "Warn") logger.warn(text);
      else if (logLevel === "Info") logger.info(text);
      else logger.debug(text);
    }),
  ]);

/** The Powertools logger and metrics to use (defaults built from the environment). */
export interface TelemetryOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** The clock for the lag metric (default Date.now). */
  readonly now?: () => number;
}

const who = (p: Person | undefined) =>
  p === undefined ? undefined : { id: p.id, ...(p.login !== undefined && { login: p.login }) };

const sinkSummary = (s: SinkOutcome) => ({
  sink: s.sink,
  status: s.status,
  ...(s.receipt !== undefined && { ref: s.receipt.ref }),
  ...(s.code !== undefined && { code: s.code }),
  ...(s.message !== undefined && { message: s.message }),
  ...(s.retryAfterMs !== undefined && { retryAfterMs: s.retryAfterMs }),
});

const eventFields = (messageId: string, e: EventOutcome) => ({
  ...(e.uuid !== undefined && { correlation_id: e.uuid }),
  messageId,
  decision: e.decision,
  ...(e.eventType !== undefined && { eventType: e.eventType }),
  ...(e.kind !== undefined && { kind: e.kind }),
  ...(e.reason !== undefined && { reason: e.reason }),
  ...(e.published !== undefined && { published: e.published }),
  ...(e.subject !== undefined && { subject: who(e.subject) }),
  ...(e.actor !== undefined && { actor: who(e.actor) }),
  ...(e.hris !== undefined && { hris: e.hris._tag }),
  ...(e.timeliness !== undefined && { timeliness: e.timeliness }),
  ...(e.supersededBy !== undefined && { supersededBy: e.supersededBy.eventId ?? e.supersededBy.kind }),
  ...(e.sinks.length > 0 && { sinks: e.sinks.map(sinkSummary) }),
});

/** Builds the Telemetry service over Powertools' logger and metrics. */
export const makeTelemetry = (options: TelemetryOptions = {}): Telemetry["Service"] => {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "offboard";
  const logger = options.logger ?? new Logger({ serviceName });
  const metrics =
    options.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "Offboard", serviceName });
  const now = options.now ?? Date.now;

  const report = (dispositions: ReadonlyArray<Disposition>) =>
    Effect.sync(() => {
      const counts = {
        routed: 0,
        ignored: 0,
        rejected: 0,
        deadLettered: 0,
        retried: 0,
        dlqFailed: 0,
        sinkInactive: 0,
      };
      const perSink = new Map<string, { delivered: number; duplicate: number; failed: number; busy: number }>();
      const at = now();
      for (const d of dispositions) {
        const settled = d.action !== "retry";
        for (const e of d.outcome.events) {
          if (e.sinks.some((s) => s.status === "inactive")) counts.sinkInactive += 1;
          if (e.decision === "route") counts.routed += 1;
          else if (e.decision === "ignore") counts.ignored += 1;
          else counts.rejected += 1;
          for (const s of e.sinks) {
            const c = perSink.get(s.sink) ?? { delivered: 0, duplicate: 0, failed: 0, busy: 0 };
            if (s.status === "delivered") c.delivered += 1;
            else if (s.status === "duplicate") c.duplicate += 1;
            else if (s.status === "failed") c.failed += 1;
            else if (s.status === "busy") c.busy += 1;
            perSink.set(s.sink, c);
          }
          if (e.decision === "route" && settled) {
            const published = publishedMillis(e.published);
            if (Number.isFinite(published)) metrics.addMetric(METRICS.lag, MetricUnit.Milliseconds, at - published);
          }
          const fields = eventFields(d.messageId, e);
          if (e.decision === "reject") logger.warn("event rejected", fields);
          else if (e.decision === "route") {
            if (e.sinks.some((s) => s.status === "failed" || s.status === "busy" || s.status === "inactive"))
              logger.warn("event not fully delivered", fields);
            else logger.info("event routed", fields);
          } else logger.info("event ignored", fields);
        }
        if (d.action === "dead-lettered") {
          counts.deadLettered += 1;
          logger.warn("record dead-lettered", {
            messageId: d.messageId,
            reason: d.outcome.reasonCode,
            // A not-json reason quotes the start of the body: keep bodies out of the logs.
            ...(d.outcome.reasonCode !== "not-json" && { detail: d.outcome.reason }),
          });
        } else if (d.action === "retry") {
          counts.retried += 1;
          if (d.deadLetterError !== undefined) counts.dlqFailed += 1;
          logger.warn("record left for redelivery", {
            messageId: d.messageId,
            status: d.outcome.status,
            ...(d.deadLetterError !== undefined && { deadLetterError: d.deadLetterError }),
            ...(d.outcome.reasonCode !== "not-json" && d.outcome.reason !== undefined && { detail: d.outcome.reason }),
          });
        }
      }
      metrics.addMetric(METRICS.eventsRouted, MetricUnit.Count, counts.routed);
      metrics.addMetric(METRICS.eventsIgnored, MetricUnit.Count, counts.ignored);
      metrics.addMetric(METRICS.eventsRejected, MetricUnit.Count, counts.rejected);
      metrics.addMetric(METRICS.recordsDeadLettered, MetricUnit.Count, counts.deadLettered);
      metrics.addMetric(METRICS.recordsRetried, MetricUnit.Count, counts.retried);
      if (counts.dlqFailed > 0) metrics.addMetric(METRICS.deadLetterFailures, MetricUnit.Count, counts.dlqFailed);
      if (counts.sinkInactive > 0) metrics.addMetric(METRICS.eventsSinkInactive, MetricUnit.Count, counts.sinkInactive);
      metrics.publishStoredMetrics();
      for (const [sink, c] of perSink) {
        const emit = (name: string, value: number) => {
          if (value === 0) return;
          const single = metrics.singleMetric();
          single.addDimension("sink", sink);
          single.addMetric(name, MetricUnit.Count, value);
        };
        emit(METRICS.sinkDelivered, c.delivered);
        emit(METRICS.sinkDuplicate, c.duplicate);
        emit(METRICS.sinkFailed, c.failed);
        emit(METRICS.sinkBusy, c.busy);
      }
    });

  return { logger, report };
};
