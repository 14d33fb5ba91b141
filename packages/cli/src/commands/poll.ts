/**
 * `offboard poll`: read Okta's System Log for the handled event types and deliver each event through the
 * same pipeline and ledger as `replay` (an event the log stream already delivered is a duplicate).
 *
 * - `--until`: a bounded backfill; exits with the summary table.
 * - otherwise: reads until caught up (Okta's first empty page) and keeps Okta's `next` link as the
 *   checkpoint in the state directory; `--follow` keeps polling from it every `--interval` seconds with a
 *   progress line on stderr. A page whose events could not all be delivered (a sink's transient failure)
 *   does not advance the checkpoint: the next poll reads it again and the ledger skips what was delivered.
 */
import { appendFileSync, chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import {
  type AppConfig,
  ConfigError,
  DynamoDbLedger,
  describeConfig,
  hrisFromConfig,
  isOktaError,
  KNOWN_SINKS,
  makeOktaClient,
  type OktaClient,
  oktaSystemLog,
  readOktaSettings,
  SqliteLedger,
  type SystemLogPage,
} from "@offboard/adapters";
import {
  DeliveryLedger,
  HANDLED_EVENT_TYPES,
  type InputRecord,
  PipelineConfig,
  processBatch,
  type RecordOutcome,
  sinksLayer,
} from "@offboard/core";
import type { Command } from "commander";
import { Layer, ManagedRuntime, Redacted } from "effect";
import { UsageError } from "../io.ts";
import { localDelivery, oneAtATimeWhenPaced, openStateDir, type ReplaySummary, summaryTable } from "./replay.ts";

// ── A delivery session: the replay pipeline, fed record by record ─────────────────────────────────

type SinkCounts = {
  delivered: number;
  duplicate: number;
  skipped: number;
  superseded: number;
  failed: number;
  busy: number;
  inactive: number;
};

export interface DeliverySessionOptions {
  readonly config: AppConfig;
  /** Print the console preview of each delivery. */
  readonly preview: boolean;
  readonly color: boolean;
  readonly out: Writable;
  readonly err: NodeJS.WritableStream;
  /** `sqlite` (default: the state directory's ledger, or the DynamoDB table OFFBOARD_LEDGER_TABLE) or `memory`. */
  readonly ledger?: "sqlite" | "memory";
}

export interface DeliverySession {
  readonly deliver: (records: ReadonlyArray<InputRecord>) => Promise<ReadonlyArray<RecordOutcome>>;
  readonly summary: () => ReplaySummary;
  readonly close: () => Promise<void>;
}

/** The pipeline `replay` runs (same sinks, outbox, preview, ledger and rejected file), for other inputs. */
export const openDeliverySession = (o: DeliverySessionOptions): DeliverySession => {
  const { config } = o;
  openStateDir(config.stateDir);
  const { sinks, policy } = localDelivery(config, config, o);
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      PipelineConfig.layer({ ...config.pipeline, ...oneAtATimeWhenPaced(config), policy }),
      o.ledger === "memory"
        ? DeliveryLedger.inMemory()
        : config.ledgerTable !== undefined
          ? DynamoDbLedger.layer({ tableName: config.ledgerTable })
          : SqliteLedger.layer({ path: join(config.stateDir, "ledger.sqlite") }),
      hrisFromConfig(config),
      // No per-user status read here: these events come from Okta's System Log itself, in order, and a
      // users call per ticket would spend the Okta request cap a backfill needs.
      sinksLayer(sinks),
    ),
  );
  const counts = new Map<string, SinkCounts>();
  const zero = (): SinkCounts => ({
    delivered: 0,
    duplicate: 0,
    skipped: 0,
    superseded: 0,
    failed: 0,
    busy: 0,
    inactive: 0,
  });
  for (const s of sinks) counts.set(s.name, zero());
  const totals = { records: 0, events: 0, routed: 0, ignored: 0, rejected: 0, rejectedRecords: 0, retryLater: 0 };
  const rejectedFile = join(config.stateDir, "rejected.jsonl");

  const deliver = async (records: ReadonlyArray<InputRecord>) => {
    const outcomes = await runtime.runPromise(processBatch([...records]));
    totals.records += records.length;
    outcomes.forEach((rec, j) => {
      if (rec.status === "retry-later") totals.retryLater += 1;
      if (rec.status === "rejected") {
        totals.rejectedRecords += 1;
        appendFileSync(
          rejectedFile,
          `${JSON.stringify({ at: new Date().toISOString(), input: rec.recordId, reason: rec.reasonCode, detail: rec.reason, body: records[j]?.body })}\n`,
          { mode: 0o600 },
        );
      }
      for (const ev of rec.events) {
        totals.events += 1;
        if (ev.decision === "route") totals.routed += 1;
        else if (ev.decision === "ignore") totals.ignored += 1;
        else totals.rejected += 1;
        for (const s of ev.sinks) {
          const c = counts.get(s.sink) ?? zero();
          counts.set(s.sink, c);
          c[s.status] += 1;
          if (s.status === "failed") {
            o.err.write(
              `${s.sink} failed for ${JSON.stringify(ev.uuid ?? "?")}: ${JSON.stringify(s.message ?? "unknown error")}\n`,
            );
          }
        }
      }
    });
    return outcomes;
  };

  return {
    deliver,
    summary: () => {
      for (const name of KNOWN_SINKS) if (!counts.has(name)) counts.set(name, zero());
      return { ...totals, sinks: counts };
    },
    close: () => runtime.dispose(),
  };
};

// ── Okta from the CLI's configuration ─────────────────────────────────────────────────────────────

/** The Okta client for the CLI: OKTA_ORG_URL and the credential from the configuration (secret first). */
export const oktaClientFromConfig = (config: AppConfig, purpose: string): OktaClient => {
  try {
    const settings = readOktaSettings(
      {
        ...process.env,
        ...(config.oktaOrgUrl !== undefined ? { OKTA_ORG_URL: config.oktaOrgUrl } : {}),
        ...(config.oktaApiToken !== undefined ? { OKTA_API_TOKEN: Redacted.value(config.oktaApiToken) } : {}),
      },
      purpose,
    );
    return makeOktaClient({ ...settings, userAgent: "offboard-cli" });
  } catch (e) {
    if (e instanceof ConfigError || isOktaError(e)) throw new UsageError((e as Error).message);
    throw e;
  }
};

/** One record per LogEvent, named by its uuid, as the queue would carry an Event Hook's or poller's event. */
export const pageRecords = (events: ReadonlyArray<unknown>, prefix: string): ReadonlyArray<InputRecord> =>
  events.map((event, i) => {
    const uuid = typeof event === "object" && event !== null ? (event as { uuid?: unknown }).uuid : undefined;
    return { id: typeof uuid === "string" ? uuid.slice(0, 80) : `${prefix}:${i + 1}`, body: JSON.stringify(event) };
  });

export const parseInstant = (name: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value) || !Number.isFinite(ms)) {
    throw new UsageError(
      `${name} must be an ISO 8601 date or instant such as 2026-11-01T00:00:00Z, got ${JSON.stringify(value.slice(0, 60))}`,
    );
  }
  return new Date(ms).toISOString();
};

// ── The checkpoint ────────────────────────────────────────────────────────────────────────────────

export interface PollCheckpoint {
  /** The org the link belongs to: a checkpoint of another org is never followed. */
  readonly org: string;
  /** Okta's `next` link: where the next poll starts. */
  readonly next: string;
  /** `published` of the last event read, for the progress line. */
  readonly lastPublished?: string;
  readonly updatedAt: string;
}

export const checkpointPath = (stateDir: string) => join(stateDir, "poll-checkpoint.json");

export const readCheckpoint = (stateDir: string): PollCheckpoint | undefined => {
  const path = checkpointPath(stateDir);
  if (!existsSync(path)) return undefined;
  try {
    const c = JSON.parse(readFileSync(path, "utf8")) as Partial<PollCheckpoint>;
    if (typeof c.org === "string" && typeof c.next === "string" && typeof c.updatedAt === "string") {
      return c as PollCheckpoint;
    }
  } catch {
    // fall through
  }
  throw new UsageError(`${path} is not a poll checkpoint; delete it to start over from --since`);
};

/** Written to a temporary file and renamed, so a crash never leaves half a checkpoint. */
export const writeCheckpoint = (stateDir: string, c: PollCheckpoint): void => {
  const path = checkpointPath(stateDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
};

// ── The command ───────────────────────────────────────────────────────────────────────────────────

export interface PollOptions {
  readonly config: AppConfig;
  readonly okta: OktaClient;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly follow: boolean;
  readonly intervalMs: number;
  readonly maxPolls: number;
  readonly preview: boolean;
  readonly color: boolean;
  readonly out: Writable;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when the user asks to stop (Ctrl-C): the current page finishes, the checkpoint is kept. */
  readonly stopped?: Promise<void>;
}

export interface PollResult {
  readonly summary: ReplaySummary;
  readonly polls: number;
  readonly pages: number;
  readonly read: number;
  /** A page could not be fully delivered; its events will be read again by the next poll. */
  readonly stalled: boolean;
}

class Stall extends Error {}

const lastPublishedOf = (events: ReadonlyArray<unknown>): string | undefined => {
  const last = events.at(-1);
  const p = typeof last === "object" && last !== null ? (last as { published?: unknown }).published : undefined;
  return typeof p === "string" ? p.slice(0, 40) : undefined;
};

export const runPoll = async (o: PollOptions): Promise<PollResult> => {
  const session = openDeliverySession(o);
  const reader = oktaSystemLog(o.okta);
  const bounded = o.until !== undefined;
  let checkpoint = bounded ? undefined : readCheckpoint(o.config.stateDir);
  if (checkpoint !== undefined && checkpoint.org !== o.okta.origin) {
    throw new UsageError(
      `${checkpointPath(o.config.stateDir)} belongs to ${checkpoint.org}, not ${o.okta.origin}; use another OFFBOARD_STATE_DIR or delete it`,
    );
  }
  if (checkpoint === undefined && o.since === undefined) {
    throw new UsageError("--since is required for the first poll (there is no checkpoint yet)");
  }
  if (checkpoint !== undefined && o.since !== undefined) {
    o.err.write(
      `offboard: resuming from the checkpoint of ${checkpoint.updatedAt} (--since is used only without one; delete ${checkpointPath(o.config.stateDir)} to start over)\n`,
    );
  }
  let stopRequested = false;
  void o.stopped?.then(() => {
    stopRequested = true;
  });
  let polls = 0;
  let pages = 0;
  let read = 0;
  let stalled = false;
  try {
    while (true) {
      polls += 1;
      const before = session.summary();
      const deliveredBefore = [...before.sinks.values()].reduce((n, c) => n + c.delivered, 0);
      let readThisPoll = 0;
      stalled = false;
      const from =
        checkpoint !== undefined
          ? { next: checkpoint.next }
          : { since: o.since ?? "", until: o.until, eventTypes: HANDLED_EVENT_TYPES };
      try {
        const r = await reader.readAll(from, async (page: SystemLogPage) => {
          pages += 1;
          read += page.events.length;
          readThisPoll += page.events.length;
          if (page.events.length > 0) {
            const outcomes = await session.deliver(pageRecords(page.events, `okta-page-${pages}`));
            if (outcomes.some((x) => x.status === "retry-later")) throw new Stall();
          }
          if (!bounded && page.next !== undefined) {
            const lastPublished = lastPublishedOf(page.events) ?? checkpoint?.lastPublished;
            checkpoint = {
              org: o.okta.origin,
              next: page.next,
              ...(lastPublished !== undefined ? { lastPublished } : {}),
              updatedAt: new Date().toISOString(),
            };
            writeCheckpoint(o.config.stateDir, checkpoint);
          }
        });
        void r;
      } catch (e) {
        if (e instanceof Stall) stalled = true;
        else if (o.follow && isOktaError(e) && e.failure === "transient") {
          o.err.write(`offboard: poll ${polls} failed, will retry: ${e.message}\n`);
        } else throw e;
      }
      if (o.follow) {
        const after = session.summary();
        const delivered = [...after.sinks.values()].reduce((n, c) => n + c.delivered, 0) - deliveredBefore;
        const line =
          `poll ${polls}: read ${readThisPoll} events, ${delivered} deliveries` +
          (stalled ? ", a delivery failed: the page is read again next poll" : "") +
          `; checkpoint ${checkpoint?.lastPublished ?? "start"}; ${o.okta.stats.requests} Okta requests so far`;
        o.err.write(o.err.isTTY === true ? `\r\u001b[2K${line}` : `${line}\n`);
      }
      if (!o.follow || polls >= o.maxPolls || stopRequested) break;
      await Promise.race([new Promise((r) => setTimeout(r, o.intervalMs)), o.stopped ?? new Promise(() => {})]);
      if (stopRequested) break;
    }
  } finally {
    if (o.follow && o.err.isTTY === true) o.err.write("\n");
    await session.close();
  }
  return { summary: session.summary(), polls, pages, read, stalled };
};

export const registerPoll = (program: Command, loadConfig: () => Promise<AppConfig>): void => {
  program
    .command("poll")
    .description(
      "read Okta's System Log for the handled event types and deliver each event like replay (already delivered " +
        "events are duplicates); --until backfills a window, --follow keeps polling from a checkpoint",
    )
    .option("--since <iso>", "earliest published time to read (required until a checkpoint exists)")
    .option("--until <iso>", "end of a bounded backfill (exclusive); exits when done")
    .option("--follow", "keep polling from the checkpoint in the state directory")
    .option("--interval <seconds>", "seconds between polls with --follow (1-3600)", "60")
    .option("--max-polls <n>", "with --follow, stop after this many polls (for cron jobs and tests)")
    .option("--no-preview", "do not print the alert and ticket preview of each delivery")
    .action(
      async (opts: {
        since?: string;
        until?: string;
        follow?: boolean;
        interval: string;
        maxPolls?: string;
        preview: boolean;
      }) => {
        const since = parseInstant("--since", opts.since);
        const until = parseInstant("--until", opts.until);
        const follow = opts.follow === true;
        if (follow && until !== undefined) throw new UsageError("--follow and --until exclude each other");
        if (until !== undefined && since === undefined) throw new UsageError("--until needs --since");
        const interval = Number(opts.interval);
        if (!Number.isInteger(interval) || interval < 1 || interval > 3600) {
          throw new UsageError("--interval must be a whole number of seconds from 1 to 3600");
        }
        const maxPolls = opts.maxPolls === undefined ? Number.POSITIVE_INFINITY : Number(opts.maxPolls);
        if (!(maxPolls >= 1) || (Number.isFinite(maxPolls) && !Number.isInteger(maxPolls))) {
          throw new UsageError("--max-polls must be a whole number from 1");
        }
        const config = await loadConfig();
        for (const line of describeConfig(config)) {
          if (!line.startsWith("warning:")) process.stderr.write(`offboard: ${line}\n`);
        }
        const okta = oktaClientFromConfig(config, "poll Okta's System Log");
        let stop: () => void = () => {};
        const stopped = new Promise<void>((resolve) => {
          stop = resolve;
        });
        const onSignal = () => stop();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          const result = await runPoll({
            config,
            okta,
            since,
            until,
            follow,
            intervalMs: interval * 1000,
            maxPolls,
            preview: opts.preview,
            color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
            out: process.stdout,
            err: process.stderr,
            stopped,
          });
          process.stdout.write(`\n${summaryTable(result.summary)}\n`);
          process.stdout.write(
            `\nOkta: ${result.read} events read in ${result.pages} pages, ${okta.stats.requests} requests` +
              (okta.stats.rateLimited > 0 ? `, ${okta.stats.rateLimited} rate-limited` : "") +
              (until === undefined ? `; checkpoint in ${checkpointPath(config.stateDir)}` : "") +
              "\n",
          );
          const failed = [...result.summary.sinks.values()].reduce((n, c) => n + c.failed + c.busy, 0);
          process.exitCode = failed > 0 || result.stalled ? 1 : 0;
        } catch (e) {
          endOnOktaError(e);
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      },
    );
};

/**
 * Ends an Okta command on an Okta failure: a permanent one (bad token, unknown org, refused URL) is the
 * operator's to fix and exits 2 with its message; a transient one is said on stderr and exits 1.
 * Anything that is not an Okta error is rethrown.
 */
export const endOnOktaError = (e: unknown): void => {
  if (!isOktaError(e)) throw e;
  if (e.failure === "permanent") throw new UsageError(e.message);
  process.stderr.write(`offboard: ${e.message}\n`);
  process.exitCode = 1;
};
