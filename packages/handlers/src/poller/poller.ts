/**
 * The System Log poller: one run reads Okta's System Log from the checkpoint (Okta's `next` link, kept in
 * the ledger table), enqueues the lifecycle events into the worker's queue as envelopes with source
 * `offboard.poller`, and advances the checkpoint page by page with a conditional write. The worker dedupes
 * by Okta uuid, so events the log stream delivered already are duplicates, nothing more.
 *
 * Log-stream health: the run reads the stream's status (when one is configured) and counts
 * `system.log_stream.lifecycle.deactivate` events, and reports both as metrics an alarm watches. Because
 * every run reads everything since its checkpoint, whatever the stream missed while inactive is enqueued
 * anyway: the gap is backfilled without anyone acting. Re-activating the stream is opt-in (it needs a
 * credential that may manage log streams).
 */
import type { CheckpointStore, OktaLogStreamClient, SystemLogPage, SystemLogReader } from "@offboard/adapters/okta";
import { HANDLED_EVENT_TYPES } from "@offboard/core";
import { type Enqueue, POLLER_SOURCE, toEnvelope } from "../event-hook/envelope.ts";

export const STREAM_DEACTIVATED = "system.log_stream.lifecycle.deactivate";
export const STREAM_ACTIVATED = "system.log_stream.lifecycle.activate";

/** Metric names the poller emits (namespace Offboard, no dimensions); the CDK alarms watch them. */
export const POLLER_METRICS = {
  eventsRead: "PollerEventsRead",
  eventsEnqueued: "PollerEventsEnqueued",
  logStreamInactive: "LogStreamInactive",
  logStreamDeactivations: "LogStreamDeactivations",
  logStreamReactivated: "LogStreamReactivated",
} as const;

export interface PollerOptions {
  readonly reader: SystemLogReader;
  readonly store: CheckpointStore;
  readonly enqueue: Enqueue;
  /** How far back the very first run reads (default 24 h, Elastic's default). */
  readonly initialLookbackMs?: number | undefined;
  /** Pages per run (default 20 = 20,000 events), so a run stays well inside the Lambda timeout. */
  readonly maxPages?: number | undefined;
  /** The log stream to watch, by id or name; undefined when the org has no stream (source "poll"). */
  readonly stream?: { readonly id?: string | undefined; readonly name?: string | undefined } | undefined;
  /** Reads (and, with `autoReactivate`, re-activates) log streams. */
  readonly streams?: OktaLogStreamClient | undefined;
  readonly autoReactivate?: boolean | undefined;
  readonly account?: string | undefined;
  readonly region?: string | undefined;
  readonly now?: (() => number) | undefined;
}

export interface PollerRun {
  readonly pages: number;
  readonly read: number;
  readonly enqueued: number;
  readonly deactivations: number;
  /** The stream's status after the run (undefined when no stream is watched, or it could not be read). */
  readonly streamStatus?: string | undefined;
  readonly reactivated: boolean;
  /** Another run advanced the checkpoint first: this one stopped early. */
  readonly superseded: boolean;
  readonly lastPublished?: string | undefined;
}

class Superseded extends Error {}

const eventType = (e: unknown) =>
  typeof e === "object" && e !== null ? (e as { eventType?: unknown }).eventType : undefined;

const lastPublishedOf = (events: ReadonlyArray<unknown>): string | undefined => {
  const p = (events.at(-1) as { published?: unknown } | undefined)?.published;
  return typeof p === "string" ? p.slice(0, 40) : undefined;
};

export const runPoller = async (o: PollerOptions): Promise<PollerRun> => {
  const now = o.now ?? Date.now;
  const checkpoint = await o.store.read();
  let version = checkpoint?.version ?? 0;
  let pages = 0;
  let read = 0;
  let enqueued = 0;
  let deactivations = 0;
  let superseded = false;
  let lastPublished = checkpoint?.lastPublished;
  const from =
    checkpoint !== undefined
      ? { next: checkpoint.next }
      : {
          since: new Date(now() - (o.initialLookbackMs ?? 24 * 3_600_000)).toISOString(),
          eventTypes: [...HANDLED_EVENT_TYPES, STREAM_DEACTIVATED, STREAM_ACTIVATED],
        };
  try {
    await o.reader.readAll(
      from,
      async (page: SystemLogPage) => {
        pages += 1;
        read += page.events.length;
        const lifecycle = page.events.filter((e) => {
          const t = eventType(e);
          if (t === STREAM_DEACTIVATED) deactivations += 1;
          return t !== STREAM_DEACTIVATED && t !== STREAM_ACTIVATED;
        });
        if (lifecycle.length > 0) {
          const where = { account: o.account, region: o.region };
          await o.enqueue(lifecycle.map((e, i) => toEnvelope(e, POLLER_SOURCE, where, `page${pages}:${i}`)));
          enqueued += lifecycle.length;
        }
        lastPublished = lastPublishedOf(page.events) ?? lastPublished;
        if (page.next !== undefined) {
          const w = await o.store.write({ next: page.next, lastPublished }, version);
          if (!w.written) throw new Superseded();
          version = w.version;
        }
      },
      { maxPages: o.maxPages ?? 20 },
    );
  } catch (e) {
    if (!(e instanceof Superseded)) throw e;
    superseded = true;
  }

  let streamStatus: string | undefined;
  let reactivated = false;
  if (o.streams !== undefined && o.stream !== undefined && (o.stream.id !== undefined || o.stream.name !== undefined)) {
    const stream =
      o.stream.id !== undefined ? await o.streams.get(o.stream.id) : await o.streams.findByName(o.stream.name ?? "");
    streamStatus = stream?.status ?? "MISSING";
    if (stream !== undefined && stream.status === "INACTIVE" && o.autoReactivate === true) {
      const after = await o.streams.activate(stream.id);
      streamStatus = after.status;
      reactivated = after.status === "ACTIVE";
    }
  }
  return { pages, read, enqueued, deactivations, streamStatus, reactivated, superseded, lastPublished };
};

/** The run as one CloudWatch Embedded Metric Format line (namespace `Offboard`, no dimensions). */
export const emfLine = (run: PollerRun, namespace = "Offboard", nowMs = Date.now()): string => {
  const values: Record<string, number> = {
    [POLLER_METRICS.eventsRead]: run.read,
    [POLLER_METRICS.eventsEnqueued]: run.enqueued,
    [POLLER_METRICS.logStreamDeactivations]: run.deactivations,
  };
  if (run.streamStatus !== undefined) {
    // Inactive until proven active: a stream that is missing also needs an operator.
    values[POLLER_METRICS.logStreamInactive] = run.streamStatus === "ACTIVE" ? 0 : 1;
    values[POLLER_METRICS.logStreamReactivated] = run.reactivated ? 1 : 0;
  }
  return JSON.stringify({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[]],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: "Count" })),
        },
      ],
    },
    message: "poller run",
    pages: run.pages,
    superseded: run.superseded,
    streamStatus: run.streamStatus ?? null,
    lastPublished: run.lastPublished ?? null,
    ...values,
  });
};
