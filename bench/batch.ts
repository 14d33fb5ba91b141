/**
 * Part 3: batch scale. Each (size, ledger) runs in a fresh node process (bench/batch-child.ts, bundled
 * by esbuild as production code is) so peak RSS belongs to that size alone. Sizes up to 10k run three
 * times (median); 100k once.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { build } from "esbuild";
import { round } from "./throughput.ts";

export interface BatchRun {
  readonly events: number;
  readonly ledger: "memory" | "sqlite";
  readonly runs: number;
  /** Median wall time of the processBatch call, ms. */
  readonly ms: number;
  readonly eventsPerSec: number;
  readonly usPerEvent: number;
  /** Peak RSS of the process (input strings, effect runtime and results included), MB. */
  readonly peakRssMb: number;
  /** RSS just before processBatch (the generated input already in memory), MB. */
  readonly rssBeforeMb: number;
  readonly inputMb: number;
  /** Heap still held after a full GC while the outcomes are referenced (outcomes, ledger contents), MB. */
  readonly retainedMb: number;
}

export interface BatchResult {
  readonly runs: ReadonlyArray<BatchRun>;
  /** time(next size) / time(size) per ledger; 10 means linear for 10x the events. */
  readonly growth: Record<
    string,
    ReadonlyArray<{ readonly from: number; readonly to: number; readonly factor: number }>
  >;
  /** SQLite ledger time / in-memory ledger time, at 10k events (or the largest size below it). */
  readonly sqliteVsMemory: { readonly events: number; readonly factor: number };
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export const runBatchScale = async (o: { outDir: string; sizes?: ReadonlyArray<number> }): Promise<BatchResult> => {
  const sizes = o.sizes ?? [1_000, 10_000, 100_000];
  const child = path.join(o.outDir, "batch-child.mjs");
  await build({
    entryPoints: [path.join(import.meta.dirname, "batch-child.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: child,
    conditions: ["development"],
    external: ["better-sqlite3"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
  const runs: Array<BatchRun> = [];
  const once = (events: number, ledger: "memory" | "sqlite"): Record<string, number> => {
    // cwd = repo root, so better-sqlite3 (external) resolves from node_modules.
    const res = spawnSync(process.execPath, ["--expose-gc", child, String(events), ledger], {
      cwd: path.resolve(import.meta.dirname, ".."),
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (res.status !== 0) throw new Error(`batch child ${events} ${ledger} failed: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split("\n").pop()!);
  };
  for (const events of sizes) {
    const repeats = events <= 10_000 ? 3 : 1;
    const figures: Record<"memory" | "sqlite", Array<Record<string, number>>> = { memory: [], sqlite: [] };
    // Alternate the ledgers run by run, so their ratio is measured under the same load.
    for (let r = 0; r < repeats; r++)
      for (const ledger of ["memory", "sqlite"] as const) figures[ledger].push(once(events, ledger));
    for (const ledger of ["memory", "sqlite"] as const) {
      const fs = figures[ledger];
      const ms = median(fs.map((f) => f.ms!));
      runs.push({
        events,
        ledger,
        runs: repeats,
        ms: round(ms, 0),
        eventsPerSec: Math.round(events / (ms / 1000)),
        usPerEvent: round((ms * 1000) / events, 1),
        peakRssMb: round(Math.max(...fs.map((f) => f.peakRssMb!)), 0),
        rssBeforeMb: round(median(fs.map((f) => f.rssBeforeMb!)), 0),
        inputMb: round(fs[0]!.inputMb!, 1),
        retainedMb: round(median(fs.map((f) => f.retainedMb!)), 1),
      });
      process.stdout.write(`  batch ${events} ${ledger}: ${round(ms, 0)} ms\n`);
    }
  }
  const growth: BatchResult["growth"] = {};
  for (const ledger of ["memory", "sqlite"]) {
    const xs = runs.filter((r) => r.ledger === ledger);
    growth[ledger] = xs.slice(1).map((r, i) => ({
      from: xs[i]!.events,
      to: r.events,
      factor: round(r.ms / xs[i]!.ms, 2),
    }));
  }
  const compareAt = Math.max(...sizes.filter((s) => s <= 10_000));
  const at = (ledger: string) => runs.find((r) => r.events === compareAt && r.ledger === ledger)?.ms ?? Number.NaN;
  return { runs, growth, sqliteVsMemory: { events: compareAt, factor: round(at("sqlite") / at("memory"), 2) } };
};
