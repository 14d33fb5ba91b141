import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import {
  type AppConfig,
  activeSinkNames,
  ConfigError,
  consolePreviewSink,
  DEFAULT_JIRA_CHECKLIST,
  DEFAULT_JIRA_KINDS,
  describeConfig,
  hrisFromConfig,
  jiraSink,
  KNOWN_SINKS,
  oktaUserStatusFromConfig,
  outboxSink,
  prepareStateDir,
  SqliteLedger,
  StateDirError,
  sinkSettings,
  sinksFromConfig,
  slackSink,
} from "@offboard/adapters";
import {
  DeliveryLedger,
  HrisDirectory,
  type InputRecord,
  LIFECYCLE_KINDS,
  type LifecycleKind,
  narrowRoutes,
  OktaUserStatus,
  PipelineConfig,
  processBatch,
  type RecordOutcome,
  type RoutingPolicy,
  type Sink,
  sinksLayer,
} from "@offboard/core";
import type { Command } from "commander";
import { Layer, ManagedRuntime } from "effect";
import { type InputRecord as CliRecord, inBatches, streamInputs, UsageError } from "../io.ts";
import { cliLogLayer } from "../logging.ts";
import { FILE_MODE, preparePrivateStateDir } from "../state.ts";

export interface ReplayOptions {
  readonly files: ReadonlyArray<string>;
  readonly config: AppConfig;
  /** Print the console preview of each delivery (default true). */
  readonly preview: boolean;
  /**
   * Call no vendor (Slack, Jira, BambooHR) whatever the configuration says: preview and outbox only.
   * `npm start` uses it, so the fictional example day never reaches a real channel.
   */
  readonly previewOnly?: boolean;
  /** `sqlite` (default: remembers deliveries across runs) or `memory` (a dry run that forgets). */
  readonly ledger: "sqlite" | "memory";
  readonly batchSize: number;
  /** Colour the preview (default: stdout is a terminal and NO_COLOR is unset). */
  readonly color: boolean;
  readonly out: Writable;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Counts per sink, for the summary table. */
interface SinkCounts {
  delivered: number;
  duplicate: number;
  /** The sink had nothing to do for the user's case (no ticket to open or close). */
  skipped: number;
  /** The event was older than the user's case (or undatable): the sink left the case alone. */
  superseded: number;
  failed: number;
  busy: number;
  inactive: number;
}

const zeroCounts = (): SinkCounts => ({
  delivered: 0,
  duplicate: 0,
  skipped: 0,
  superseded: 0,
  failed: 0,
  busy: 0,
  inactive: 0,
});

export interface ReplaySummary {
  readonly records: number;
  readonly events: number;
  readonly routed: number;
  readonly ignored: number;
  readonly rejected: number;
  /** Records rejected as a whole (kept in rejected.jsonl, as the worker sends them to the DLQ). */
  readonly rejectedRecords: number;
  readonly retryLater: number;
  readonly sinks: ReadonlyMap<string, SinkCounts>;
}

/** Every routed kind also goes to the local sinks (outbox, and the preview unless turned off). */
const withLocalSinks = (policy: RoutingPolicy, local: ReadonlyArray<string>): RoutingPolicy => ({
  ...policy,
  routes: Object.fromEntries(
    LIFECYCLE_KINDS.map((k) => [k, [...policy.routes[k], ...local.filter((s) => !policy.routes[k].includes(s))]]),
  ) as unknown as Record<LifecycleKind, ReadonlyArray<string>>,
});

const pad = (s: string | number, n: number) => String(s).padEnd(n);

export const summaryTable = (s: ReplaySummary): string => {
  const lines = [
    `records ${s.records}, events ${s.events}: routed ${s.routed}, ignored ${s.ignored}, rejected ${s.rejected}` +
      (s.retryLater > 0 ? `, to retry ${s.retryLater}` : ""),
    "",
    `${pad("sink", 10)}${pad("delivered", 11)}${pad("duplicate", 11)}${pad("skipped", 9)}${pad("superseded", 12)}${pad("failed", 8)}${pad("busy", 6)}inactive`,
  ];
  for (const [name, c] of s.sinks) {
    lines.push(
      `${pad(name, 10)}${pad(c.delivered, 11)}${pad(c.duplicate, 11)}${pad(c.skipped, 9)}${pad(c.superseded, 12)}${pad(c.failed, 8)}${pad(c.busy, 6)}${c.inactive}`,
    );
  }
  return lines.join("\n");
};

/**
 * One line of rejected.jsonl: `reason` is the code of the first problem and `detail` says what it was
 * without repeating that code (`not JSON: …`, not `not-json: not JSON: …`); further problems keep theirs.
 */
const rejectedLine = (rec: RecordOutcome, body: unknown) => {
  const code = rec.reasonCode;
  const detail =
    code !== undefined && rec.reason?.startsWith(`${code}: `) === true ? rec.reason.slice(code.length + 2) : rec.reason;
  return { at: new Date().toISOString(), input: rec.recordId, reason: code, detail, body };
};

/**
 * Okta's authoritative user status for the CLI's pipeline when Okta read access is configured
 * (OKTA_ORG_URL plus a credential), else none: the events decide. Wrong settings are a usage error.
 */
export const userStatusFromConfig = (config: AppConfig): Layer.Layer<OktaUserStatus> => {
  try {
    return oktaUserStatusFromConfig(config, process.env, "offboard-cli");
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
};

/** Runs the full pipeline over the inputs; returns the summary. Rejected records are kept in rejected.jsonl. */
export const runReplay = async (o: ReplayOptions): Promise<ReplaySummary> => {
  const { config } = o;
  // Inputs are streamed: a batch is read, run and counted before the next is read, so memory stays
  // bounded whatever the size of the input (docs/performance.md).
  const inputs = await streamInputs(o.files, {
    command: "replay",
    write: (line) => o.err.write(`offboard: ${line}\n`),
  });
  async function* allRecords(): AsyncGenerator<CliRecord> {
    for (const input of inputs) yield* input.records;
  }
  openStateDir(config.stateDir);

  // --preview-only configures no vendor sink.
  const effective = o.previewOnly === true ? { ...config, sinks: {} } : config;
  const { sinks, policy } = localDelivery(config, effective, o);

  const ledger =
    o.ledger === "memory"
      ? DeliveryLedger.inMemory()
      : SqliteLedger.layer({ path: join(config.stateDir, "ledger.sqlite") });
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      PipelineConfig.layer({ ...config.pipeline, ...oneAtATimeWhenPaced(effective), policy }),
      ledger,
      o.previewOnly === true ? HrisDirectory.none : hrisFromConfig(config),
      o.previewOnly === true ? OktaUserStatus.none : userStatusFromConfig(config),
      sinksLayer(sinks),
      cliLogLayer,
    ),
  );

  const counts = new Map<string, SinkCounts>();
  for (const s of sinks) counts.set(s.name, zeroCounts());
  let events = 0;
  let routed = 0;
  let ignored = 0;
  let rejected = 0;
  let rejectedRecords = 0;
  let retryLater = 0;
  const rejectedFile = join(config.stateDir, "rejected.jsonl");
  // A rejected record is kept once: replaying the same file again does not repeat it.
  const alreadyKept = new Set<string>();
  if (existsSync(rejectedFile)) {
    for (const line of readFileSync(rejectedFile, "utf8").split("\n")) {
      try {
        const kept = JSON.parse(line) as { input?: string; body?: string };
        alreadyKept.add(`${kept.input}\u0000${kept.body}`);
      } catch {
        // a line cut short by a crash: ignore it
      }
    }
  }
  let records = 0;
  let lastProgress = 0;
  const progress = (final: boolean) => {
    // Every 1000 records, and once at the end of an input of 1000 records or more.
    if (records < 1000 || (!final && records - lastProgress < 1000) || lastProgress === records) return;
    lastProgress = records;
    const line = `progress: ${records} records`;
    o.err.write(o.err.isTTY ? `\r${line}${final ? "\n" : ""}` : `${line}\n`);
  };

  try {
    for await (const batch of inBatches<InputRecord>(allRecords(), o.batchSize)) {
      records += batch.length;
      const outcomes: ReadonlyArray<RecordOutcome> = await runtime.runPromise(processBatch(batch));
      outcomes.forEach((rec, j) => {
        if (rec.status === "retry-later") retryLater += 1;
        if (rec.status === "rejected") rejectedRecords += 1;
        const body = batch[j]?.body;
        if (rec.status === "rejected" && !alreadyKept.has(`${rec.recordId}\u0000${body}`)) {
          alreadyKept.add(`${rec.recordId}\u0000${body}`);
          appendFileSync(rejectedFile, `${JSON.stringify(rejectedLine(rec, body))}\n`, { mode: FILE_MODE });
        }
        for (const ev of rec.events) {
          events += 1;
          if (ev.decision === "route") routed += 1;
          else if (ev.decision === "ignore") ignored += 1;
          else rejected += 1;
          for (const s of ev.sinks) {
            let c = counts.get(s.sink);
            if (c === undefined) {
              c = zeroCounts();
              counts.set(s.sink, c);
            }
            c[s.status] += 1;
            if (s.status === "failed") {
              o.err.write(`${s.sink} failed for ${ev.uuid ?? "?"}: ${s.message ?? "unknown error"}\n`);
            }
          }
        }
      });
      progress(false);
    }
    progress(true);
  } finally {
    await runtime.dispose();
  }
  for (const name of KNOWN_SINKS) {
    if (!counts.has(name)) counts.set(name, zeroCounts());
  }
  return { records, events, routed, ignored, rejected, rejectedRecords, retryLater, sinks: counts };
};

interface ReplayFlags {
  readonly preview: boolean;
  readonly previewOnly?: boolean;
  readonly dryRun?: boolean;
  readonly batchSize: string;
  readonly strict?: boolean;
}

export const registerReplay = (program: Command, loadConfig: () => Promise<AppConfig>): void => {
  program
    .command("replay")
    .description(
      "run the full pipeline on Okta events from files (or stdin): preview each alert and ticket, append to the " +
        "outbox, deliver to Slack/Jira when configured; a local ledger makes a second replay deliver nothing",
    )
    .argument("[files...]", "files to read; - or nothing reads standard input")
    .option("--no-preview", "do not print the alert and ticket preview of each delivery")
    .option(
      "--preview-only",
      "send nothing to Slack, Jira or BambooHR even when they are configured: preview and outbox only (npm start)",
    )
    .option("--dry-run", "use a ledger in memory: nothing is remembered for the next run")
    .option("--batch-size <n>", "records per batch, as an SQS batch (1-1000)", "10")
    .option("--strict", "exit 1 when any record was rejected (by default only a failed delivery exits 1)")
    .action(async (files: Array<string>, opts: ReplayFlags) => {
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
        throw new UsageError("--batch-size must be a whole number from 1 to 1000");
      }
      const config = await loadConfig();
      const err = process.stderr;
      const previewOnly = opts.previewOnly === true;
      const summaryLines = previewOnly
        ? ["preview only: nothing is sent to Slack, Jira or BambooHR, whatever is configured"]
        : describeConfig(config);
      // With no real sink configured (the first `npm start`), one hint beats a warning per kind.
      const noneActive = summaryLines.includes("sinks active: none");
      for (const line of summaryLines) {
        if (noneActive && line.startsWith("warning:")) continue;
        err.write(`offboard: ${line}\n`);
      }
      if (noneActive) {
        err.write(
          opts.preview
            ? "offboard: no Slack or Jira configured: previewing what they would receive (docs/configuration.md)\n"
            : "offboard: no Slack or Jira configured: deliveries go to the outbox only (docs/configuration.md)\n",
        );
      }
      const summary = await runReplay({
        files,
        config,
        preview: opts.preview,
        previewOnly,
        ledger: opts.dryRun === true ? "memory" : "sqlite",
        batchSize,
        out: process.stdout,
        color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
        err,
      });
      process.stdout.write(`\n${summaryTable(summary)}\n`);
      const delivered = [...summary.sinks.values()].reduce((n, c) => n + c.delivered, 0);
      const duplicates = [...summary.sinks.values()].reduce((n, c) => n + c.duplicate, 0);
      if (summary.routed > 0 && delivered === 0 && duplicates > 0) {
        process.stdout.write(
          `\nNothing delivered: every routed event was delivered by an earlier run (ledger in ${config.stateDir}).\n`,
        );
      }
      if (summary.rejectedRecords > 0) {
        process.stdout.write(`Rejected input kept with its reason in ${join(config.stateDir, "rejected.jsonl")}.\n`);
      }
      const failed = [...summary.sinks.values()].reduce((n, c) => n + c.failed + c.busy, 0);
      const strictFailure = opts.strict === true && summary.rejectedRecords > 0;
      if (strictFailure) err.write(`offboard: --strict: ${summary.rejectedRecords} record(s) rejected; exit code 1\n`);
      process.exitCode = failed > 0 || strictFailure ? 1 : 0;
    });
};

/**
 * A replay has no queue to come back to: a Slack post whose shared pacing slot is further away than the
 * sink may wait would only fail. With a paced Slack sink and no OFFBOARD_CONCURRENCY of the operator's,
 * a replay delivers one user at a time, so each post waits at most one pace interval.
 */
export const oneAtATimeWhenPaced = (config: AppConfig): { readonly concurrency?: number } => {
  const slack = sinkSettings(config, slackSink);
  const explicit = config.pipeline.concurrency !== undefined;
  return slack !== undefined && slack.paceIntervalMs > 0 && !explicit ? { concurrency: 1 } : {};
};

/**
 * What a local run (replay, poll, hook serve) delivers to: the active vendor sinks of `vendors` plus the
 * outbox and, with `preview`, the console preview (showing the ticket Jira would get with `config`'s
 * settings, or the defaults). A local run routes to what is there: the active sinks and the local ones.
 * (The worker keeps an explicit policy as written and retries a route to an inactive sink; here there is
 * nothing to wait for.)
 */
export const localDelivery = (
  config: AppConfig,
  vendors: AppConfig,
  o: { readonly preview: boolean; readonly out: Writable; readonly color: boolean },
): { readonly sinks: ReadonlyArray<Sink>; readonly policy: RoutingPolicy } => {
  const local: Array<Sink> = [outboxSink({ path: join(config.stateDir, "outbox.jsonl") })];
  if (o.preview) {
    local.push(
      consolePreviewSink({
        out: o.out,
        color: o.color,
        checklist: sinkSettings(config, jiraSink)?.checklist ?? DEFAULT_JIRA_CHECKLIST,
        ticketKinds: sinkSettings(config, jiraSink)?.kinds ?? DEFAULT_JIRA_KINDS,
      }),
    );
  }
  return {
    sinks: sinksFromConfig(vendors, local),
    policy: withLocalSinks(
      narrowRoutes(config.policy, activeSinkNames(vendors)),
      local.map((s) => s.name),
    ),
  };
};

/** Checks and prepares the state directory: one line and exit 2 when it cannot be used; private modes. */
export const openStateDir = (stateDir: string): void => {
  try {
    prepareStateDir(stateDir);
    // Personal data: the directory 0700, its files 0600 (docs/security.md).
    preparePrivateStateDir(stateDir);
  } catch (e) {
    // One line, exit 2: `cannot use state directory …: permission denied`.
    if (e instanceof StateDirError) throw new UsageError(e.message);
    throw e;
  }
};
