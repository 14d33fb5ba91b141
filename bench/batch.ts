/**
 * Part 3: batch scale. Each (size, ledger) runs in a fresh node process (bench/batch-child.ts, bundled
 * by esbuild as production code is) so peak RSS belongs to that size alone. Sizes up to 10k run three
 * times (median); 100k once.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
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
  /** Median CPU ms (user + system) of the processBatch call: what the machine's load does not inflate. */
  readonly cpuMs?: number;
  /** events / CPU seconds. */
  readonly eventsPerCpuSec?: number;
  /** Which checkout ran (this tree, or the one compared with). */
  readonly tree: string;
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
  /** Budget: at least 50k events/s with the in-memory ledger at every size, time linear in the events. */
  readonly budget: { readonly minEventsPerSec: number; readonly met: boolean; readonly metOnCpu: boolean };
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const buildChild = async (root: string, outfile: string, entry = path.join(root, "bench", "batch-child.ts")) =>
  build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    conditions: ["development"],
    external: ["better-sqlite3"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    absWorkingDir: root,
    logLevel: "warning",
  });

export const runBatchScale = async (o: {
  outDir: string;
  sizes?: ReadonlyArray<number>;
  /** Another checkout to run alike (in-memory ledger only), alternating with this one. */
  compare?: { readonly label: string; readonly root: string };
}): Promise<BatchResult> => {
  const sizes = o.sizes ?? [1_000, 10_000, 100_000];
  const root = path.resolve(import.meta.dirname, "..");
  const child = path.join(o.outDir, "batch-child.mjs");
  await buildChild(root, child);
  const compareChild = path.join(o.outDir, "batch-child-compare.mjs");
  if (o.compare !== undefined) {
    // The same harness (this tree's batch-child.ts and fixtures.ts), built against the other checkout's
    // packages: copied into that checkout's ignored bench/.out, so its imports resolve there.
    const harness = path.join(o.compare.root, "bench", ".out", "compare-harness");
    mkdirSync(harness, { recursive: true });
    for (const f of ["batch-child.ts", "fixtures.ts"]) copyFileSync(path.join(root, "bench", f), path.join(harness, f));
    await buildChild(o.compare.root, compareChild, path.join(harness, "batch-child.ts"));
  }
  const runs: Array<BatchRun> = [];
  const once = (file: string, events: number, ledger: "memory" | "sqlite"): Record<string, number> => {
    // cwd = repo root, so better-sqlite3 (external) resolves from node_modules.
    const res = spawnSync(process.execPath, ["--expose-gc", file, String(events), ledger], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (res.status !== 0) throw new Error(`batch child ${events} ${ledger} failed: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split("\n").pop()!);
  };
  const summarise = (tree: string, events: number, ledger: "memory" | "sqlite", fs: Array<Record<string, number>>) => {
    const ms = median(fs.map((f) => f.ms!));
    const cpu = fs.every((f) => f.cpuMs !== undefined) ? median(fs.map((f) => f.cpuMs!)) : undefined;
    runs.push({
      tree,
      events,
      ledger,
      runs: fs.length,
      ms: round(ms, 0),
      eventsPerSec: Math.round(events / (ms / 1000)),
      usPerEvent: round((ms * 1000) / events, 1),
      peakRssMb: round(Math.max(...fs.map((f) => f.peakRssMb!)), 0),
      rssBeforeMb: round(median(fs.map((f) => f.rssBeforeMb!)), 0),
      inputMb: round(fs[0]!.inputMb!, 1),
      retainedMb: round(median(fs.map((f) => f.retainedMb!)), 1),
      ...(cpu !== undefined && { cpuMs: round(cpu, 0), eventsPerCpuSec: Math.round(events / (cpu / 1000)) }),
    });
    process.stdout.write(`  batch ${events} ${ledger} (${tree}): ${round(ms, 0)} ms\n`);
  };
  for (const events of sizes) {
    const repeats = events <= 10_000 ? 3 : 1;
    const figures: Record<"memory" | "sqlite" | "compare", Array<Record<string, number>>> = {
      memory: [],
      sqlite: [],
      compare: [],
    };
    // Alternate the ledgers (and trees) run by run, so their ratio is measured under the same load.
    for (let r = 0; r < repeats; r++) {
      for (const ledger of ["memory", "sqlite"] as const) figures[ledger].push(once(child, events, ledger));
      if (o.compare !== undefined) figures.compare.push(once(compareChild, events, "memory"));
    }
    for (const ledger of ["memory", "sqlite"] as const) summarise("this tree", events, ledger, figures[ledger]);
    if (o.compare !== undefined) summarise(o.compare.label, events, "memory", figures.compare);
  }
  const mine = runs.filter((r) => r.tree === "this tree");
  const growth: BatchResult["growth"] = {};
  for (const ledger of ["memory", "sqlite"]) {
    const xs = mine.filter((r) => r.ledger === ledger);
    growth[ledger] = xs.slice(1).map((r, i) => ({
      from: xs[i]!.events,
      to: r.events,
      factor: round(r.ms / xs[i]!.ms, 2),
    }));
  }
  const compareAt = Math.max(...sizes.filter((s) => s <= 10_000));
  const at = (ledger: string) => mine.find((r) => r.events === compareAt && r.ledger === ledger)?.ms ?? Number.NaN;
  const memory = mine.filter((r) => r.ledger === "memory");
  return {
    runs,
    growth,
    sqliteVsMemory: { events: compareAt, factor: round(at("sqlite") / at("memory"), 2) },
    budget: {
      minEventsPerSec: 50_000,
      met: memory.every((r) => r.eventsPerSec >= 50_000),
      metOnCpu: memory.every((r) => (r.eventsPerCpuSec ?? 0) >= 50_000),
    },
  };
};
