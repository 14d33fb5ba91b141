/**
 * Part 4: constant memory and start-up of the CLI. `offboard replay --no-preview` (the SQLite ledger in a
 * fresh state directory) over a JSON Lines file of 100k EventBridge envelopes (30% lifecycle events, so
 * 30k deliveries to the local outbox),
 * in a fresh process whose peak RSS is read by /usr/bin/time (GNU time, `%M`); and `offboard --version`
 * timed from spawn to exit (the CLI's start-up). Either can run against another checkout (the tree
 * before a change) in the same run.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { envelopeLines } from "./fixtures.ts";
import { round } from "./throughput.ts";

export interface ReplayRun {
  readonly label: string;
  readonly events: number;
  readonly inputMb: number;
  /** Peak resident set size of the replay process, MB. Budget: at most 300 at 100k events. */
  readonly peakRssMb: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
}

export interface CliStartup {
  readonly label: string;
  readonly runs: number;
  /** Median ms from spawn to exit of `offboard --version`. */
  readonly medianMs: number;
  readonly minMs: number;
}

export interface ReplayResult {
  readonly replay: ReadonlyArray<ReplayRun>;
  readonly startup: ReadonlyArray<CliStartup>;
  readonly budget: { readonly maxPeakRssMb: number; readonly met: boolean };
}

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
const BIN_IN_REPO = "packages/cli/bin/offboard.js";
/** Settings a developer may have exported: the runs start from none of them. */
const SCRUB = /^(SLACK_|JIRA_|BAMBOOHR_|OKTA_|OFFBOARD_|AWS_)/;

const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUB.test(k)) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
};

/** Writes `events` envelopes, one per line, without holding them all. */
const writeInput = async (file: string, events: number): Promise<number> => {
  const out = createWriteStream(file);
  let bytes = 0;
  for (const line of envelopeLines({ count: events, lifecycleShare: 0.3, seed: 23 })) {
    bytes += line.length + 1;
    if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return bytes;
};

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export const runReplayBench = async (o: {
  outDir: string;
  events?: number;
  startupRuns?: number;
  /** Other checkouts to measure alike (label → repository root). */
  compare?: ReadonlyArray<{ readonly label: string; readonly root: string }>;
}): Promise<ReplayResult> => {
  if (!existsSync("/usr/bin/time")) throw new Error("/usr/bin/time (GNU time) is needed to read the peak RSS");
  const events = o.events ?? 100_000;
  const trees = [{ label: "this tree", root: REPO_ROOT }, ...(o.compare ?? [])];
  const input = path.join(o.outDir, `replay-${events}.jsonl`);
  const bytes = await writeInput(input, events);

  const replay: Array<ReplayRun> = [];
  for (const tree of trees) {
    const state = mkdtempSync(path.join(tmpdir(), "offboard-bench-replay-"));
    try {
      const res = spawnSync(
        "/usr/bin/time",
        [
          "-f",
          "TIME %M %e",
          process.execPath,
          path.join(tree.root, BIN_IN_REPO),
          "replay",
          "--no-preview",
          "--batch-size",
          "100",
          input,
        ],
        { cwd: tree.root, env: cleanEnv({ OFFBOARD_STATE_DIR: state }), encoding: "utf8", maxBuffer: 64 << 20 },
      );
      const line = res.stderr.split("\n").find((l) => l.startsWith("TIME "));
      if (res.status !== 0 || line === undefined) {
        throw new Error(`replay in ${tree.root} exited ${res.status}: ${res.stderr.slice(-2000)}`);
      }
      const [, kb, seconds] = line.split(" ");
      const s = Number(seconds);
      replay.push({
        label: tree.label,
        events,
        inputMb: round(bytes / 2 ** 20, 1),
        peakRssMb: round(Number(kb) / 1024, 0),
        seconds: s,
        eventsPerSec: Math.round(events / s),
      });
      process.stdout.write(`  replay ${events} (${tree.label}): peak RSS ${round(Number(kb) / 1024, 0)} MB\n`);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }
  rmSync(input, { force: true });

  // Start-up: alternate the trees run by run, so load changes hit them alike.
  const runs = o.startupRuns ?? 11;
  const samples = new Map<string, Array<number>>(trees.map((t) => [t.label, []]));
  for (let r = -1; r < runs; r++) {
    for (const tree of trees) {
      const t0 = performance.now();
      const res = spawnSync(process.execPath, [path.join(tree.root, BIN_IN_REPO), "--version"], {
        cwd: tree.root,
        env: cleanEnv({}),
        encoding: "utf8",
      });
      const ms = performance.now() - t0;
      if (res.status !== 0) throw new Error(`offboard --version in ${tree.root} exited ${res.status}: ${res.stderr}`);
      if (r >= 0) samples.get(tree.label)!.push(ms);
    }
  }
  const startup = trees.map((t) => {
    const xs = samples.get(t.label)!;
    return { label: t.label, runs: xs.length, medianMs: round(median(xs), 1), minMs: round(Math.min(...xs), 1) };
  });
  const mine = replay[0]!;
  return { replay, startup, budget: { maxPeakRssMb: 300, met: mine.peakRssMb <= 300 } };
};
