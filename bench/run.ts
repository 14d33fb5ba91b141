/**
 * `npm run bench`: every benchmark of docs/performance.md in one run, a table on stdout and every figure
 * (with the machine it ran on) in bench/results.json. Not part of `npm test`; CI does not run it.
 *
 *   npm run bench                      # everything, writes bench/results.json (about 6–8 minutes)
 *   npm run bench -- --only bundle,cold
 *   npm run bench -- --quick           # small sizes, writes bench/.out/results.quick.json
 *   npm run bench -- --compare ../base # also measures another checkout (a worktree of an older
 *                                      # commit, with node_modules) in the same run: before/after
 */
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BatchResult, runBatchScale } from "./batch.ts";
import { type BundleResult, buildWorkerBundle } from "./bundle.ts";
import { type ColdStartResult, runColdStart } from "./cold-start.ts";
import { type ReplayResult, runReplayBench } from "./replay.ts";
import { runThroughput, type ThroughputResult } from "./throughput.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const PARTS = ["throughput", "bundle", "cold", "batch", "replay"] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args[args.indexOf("--only") + 1];
const only = new Set<Part>(
  args.includes("--only") && onlyArg !== undefined ? (onlyArg.split(",") as Array<Part>) : PARTS,
);
for (const p of only) if (!PARTS.includes(p)) throw new Error(`unknown part ${p}; parts: ${PARTS.join(", ")}`);
const compareArg = args.includes("--compare") ? args[args.indexOf("--compare") + 1] : undefined;
const compare = compareArg !== undefined ? { label: "before", root: path.resolve(compareArg) } : undefined;

const BENCH_DIR = import.meta.dirname;
const OUT_DIR = path.join(BENCH_DIR, ".out");
await mkdir(OUT_DIR, { recursive: true });

const machine = () => ({
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadavg1m: Math.round(os.loadavg()[0]! * 100) / 100,
});

const results: {
  generatedAt: string;
  machine: ReturnType<typeof machine>;
  machineAtEnd?: ReturnType<typeof machine>;
  quick: boolean;
  durationS?: number;
  throughput?: ThroughputResult;
  bundle?: BundleResult;
  coldStart?: ColdStartResult;
  batch?: BatchResult;
  replay?: ReplayResult;
  /** The compared checkout's bundle, when --compare was given. */
  compareBundle?: BundleResult;
  /** The issue-14 figures in one place (this tree, and the compared one as `before`). */
  figures?: Record<
    string,
    { readonly value: number | undefined; readonly before?: number | undefined; readonly budget: string }
  >;
} = { generatedAt: new Date().toISOString(), machine: machine(), quick };

const t0 = performance.now();
const step = (s: string) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${s}\n`);

if (only.has("throughput")) {
  step("1. decode + decide throughput");
  results.throughput = await runThroughput(quick ? { events: 10_000, rounds: 2 } : {});
}
if (only.has("bundle") || only.has("cold")) {
  step("2. worker bundle (esbuild, as the CDK stack builds it)");
  results.bundle = await buildWorkerBundle(OUT_DIR);
  if (compare !== undefined) {
    results.compareBundle = await buildWorkerBundle(OUT_DIR, {
      root: compare.root,
      name: "sqs-worker-before",
      splitting: false,
    });
  }
}
if (only.has("cold") && results.bundle !== undefined) {
  step("2. cold start (fresh Node 22 processes, moto + loopback Slack/Jira)");
  results.coldStart = await runColdStart({
    outDir: OUT_DIR,
    bundle: path.resolve(BENCH_DIR, "..", results.bundle.file),
    placeholder: results.bundle.placeholder,
    ...(quick && { runs: 3 }),
    ...(compare !== undefined &&
      results.compareBundle !== undefined && {
        compare: { label: compare.label, bundle: path.resolve(BENCH_DIR, "..", results.compareBundle.file) },
      }),
  });
}
if (only.has("batch")) {
  step("3. batch scale (one process per size and ledger)");
  results.batch = await runBatchScale({
    outDir: OUT_DIR,
    ...(quick && { sizes: [1_000, 5_000] }),
    ...(compare !== undefined && { compare }),
  });
}
if (only.has("replay")) {
  step("4. replay memory and CLI start-up (fresh processes)");
  results.replay = await runReplayBench({
    outDir: OUT_DIR,
    ...(quick && { events: 10_000, startupRuns: 3 }),
    ...(compare !== undefined && { compare: [compare] }),
  });
}
results.machineAtEnd = machine();
results.durationS = Math.round((performance.now() - t0) / 1000);

// ── the issue's figures, with the compared checkout's where measured ──
{
  const c = results.coldStart;
  const memory = (tree: string, events: number) =>
    results.batch?.runs.find((r) => r.tree === tree && r.events === events && r.ledger === "memory");
  const largest = Math.max(...(results.batch?.runs.map((r) => r.events) ?? [0]));
  const rp = (label: string) => results.replay?.replay.find((r) => r.label === label);
  const st = (label: string) => results.replay?.startup.find((r) => r.label === label);
  results.figures = {
    workerBundleBytesAtImport: {
      value: results.bundle?.bytes,
      before: results.compareBundle?.bytes,
      budget: "<= 750,000 bytes read at import",
    },
    dynamodbCallsPerRoutedEvent: {
      value: c?.dynamodbCallsPerEvent,
      before: c?.compare?.dynamodbCallsPerEvent,
      budget: "<= 3 writes per routed event, plus one BatchGetItem per batch",
    },
    importMsNode22: { value: c?.worker.importMs, before: c?.compare?.worker.importMs, budget: "informational" },
    importCpuMsNode22: {
      value: c?.worker.importCpuMs,
      before: c?.compare?.worker.importCpuMs,
      budget: "informational",
    },
    bootPlusImportVsEmptyHandler: {
      value: c?.importOnlyRatio,
      before: c?.compare?.importOnlyRatio,
      budget: "<= 3x the empty handler's cold start",
    },
    firstBatchCpuMs: {
      value: c?.worker.firstBatchCpuMs,
      before: c?.compare?.worker.firstBatchCpuMs,
      budget: "informational (CPU of the first 10-event batch, I/O excluded)",
    },
    processBatchEventsPerSecLargest: {
      value: memory("this tree", largest)?.eventsPerSec,
      before: compare !== undefined ? memory(compare.label, largest)?.eventsPerSec : undefined,
      budget: ">= 50,000 events/s (in-memory ledger, no-op sinks)",
    },
    processBatchEventsPerCpuSecLargest: {
      value: memory("this tree", largest)?.eventsPerCpuSec,
      before: compare !== undefined ? memory(compare.label, largest)?.eventsPerCpuSec : undefined,
      budget: ">= 50,000 events per CPU second",
    },
    replayPeakRssMb: {
      value: rp("this tree")?.peakRssMb,
      before: compare !== undefined ? rp(compare.label)?.peakRssMb : undefined,
      budget: "<= 300 MB at 100k events",
    },
    cliStartupMs: {
      value: st("this tree")?.medianMs,
      before: compare !== undefined ? st(compare.label)?.medianMs : undefined,
      budget: "informational (offboard --version, spawn to exit)",
    },
  };
}

// ── the table ──
const n = (x: number) => x.toLocaleString("en-US");
const ok = (met: boolean) => (met ? "met" : "NOT MET");
const rows: Array<[string, string, string]> = [];
const t = results.throughput;
if (t !== undefined) {
  rows.push(
    [`JSON.parse, ${n(t.events)} envelopes`, `${n(t.pass.jsonParse.eventsPerSec)} events/s`, ""],
    ["decodeText", `${n(t.pass.decodeText.eventsPerSec)} events/s`, `${t.decodeRatio}x JSON.parse`],
    [
      "decideBody (decode + decide)",
      `${n(t.pass.decideBody.eventsPerSec)} events/s`,
      `${t.ratio}x JSON.parse (paired median; aggregate ${t.aggregateRatio}x)`,
    ],
    ["  budget: decideBody <= 3x JSON.parse", ok(t.budget.met), ""],
    [
      "per event (mitata p50)",
      `${n(t.perEventNs.jsonParse)} / ${n(t.perEventNs.decideBody)} ns`,
      "JSON.parse / decideBody",
    ],
  );
}
const b = results.bundle;
if (b !== undefined) {
  rows.push(
    [
      `worker bundle read at import${b.placeholder ? " (PLACEHOLDER handler)" : ""}`,
      `${n(b.bytes)} bytes`,
      `all files ${n(b.totalBytes)}, maps ${n(b.sourceMapBytes)}`,
    ],
    ["  budget: <= 750,000 bytes at import", ok(b.budget.met), ""],
    ...b.lazyChunks
      .slice(0, 3)
      .map((l): [string, string, string] => [
        `  lazy chunk ${path.basename(l.file)}`,
        `${n(l.bytes)} bytes`,
        l.packages,
      ]),
    ...b.byPackage
      .slice(0, 6)
      .map((p): [string, string, string] => [`  ${p.pkg}`, `${n(p.bytes)} bytes`, `${p.share}%`]),
  );
}
const c = results.coldStart;
if (c !== undefined) {
  rows.push(
    [
      `cold start, ${c.handler} handler, ${c.batchSize} events`,
      `${c.worker.totalMs} ms`,
      `import ${c.worker.importMs}, 1st batch ${c.worker.firstBatchMs}, warm batch ${c.worker.warmBatchMs}`,
    ],
    ["cold start, empty handler", `${c.baseline.totalMs} ms`, `median of ${c.baseline.runs}`],
    ["  ratio (paired)", `${c.ratio}x (${c.pairedRatio}x)`, ""],
    ["  budget: <= 3x the empty baseline", ok(c.budget.met), ""],
    ["  without one batch of steady-state I/O", `${c.withoutSteadyIoRatio}x`, "(total - warm batch) / baseline"],
    ["  node boot + import of the bundle only", `${c.importOnlyRatio}x`, "(boot + import) / baseline; budget 3x"],
    [`  import, ${c.node}`, `${c.worker.importMs} ms`, `CPU ${c.worker.importCpuMs} ms`],
    ["  first batch CPU (no I/O wait)", `${c.worker.firstBatchCpuMs} ms`, `wall ${c.worker.firstBatchMs} ms`],
    ["  DynamoDB calls per routed event", `${c.dynamodbCallsPerEvent}`, JSON.stringify(c.awsCalls)],
  );
  if (c.compileCache !== undefined) {
    rows.push([
      "  import with a filled compile cache",
      `${c.compileCache.importMs} ms`,
      `CPU ${c.compileCache.importCpuMs} ms; filling run ${c.compileCache.coldCacheImportMs} ms`,
    ]);
  }
}
if (results.batch !== undefined) {
  for (const r of results.batch.runs) {
    rows.push([
      `processBatch ${n(r.events)}, ${r.ledger} ledger${r.tree === "this tree" ? "" : ` (${r.tree})`}`,
      `${n(r.eventsPerSec)} events/s`,
      `${r.usPerEvent} us/event${r.eventsPerCpuSec !== undefined ? `, ${n(r.eventsPerCpuSec)}/CPU s` : ""}, peak RSS ${r.peakRssMb} MB`,
    ]);
  }
  for (const [ledger, g] of Object.entries(results.batch.growth)) {
    rows.push([
      `  time growth, ${ledger}`,
      g.map((x) => `${x.factor}x`).join(", "),
      g.map((x) => `${n(x.from)}->${n(x.to)}`).join(", "),
    ]);
  }
  const sv = results.batch.sqliteVsMemory;
  rows.push([`  SQLite / memory at ${n(sv.events)}`, `${sv.factor}x`, "same run"]);
}
if (results.replay !== undefined) {
  for (const r of results.replay.replay) {
    rows.push([`replay ${n(r.events)} events (${r.label})`, `peak RSS ${r.peakRssMb} MB`, `${r.seconds} s`]);
  }
  rows.push(["  budget: replay peak RSS <= 300 MB", ok(results.replay.budget.met), ""]);
  for (const s1 of results.replay.startup) {
    rows.push([`offboard --version (${s1.label})`, `${s1.medianMs} ms`, `median of ${s1.runs}, min ${s1.minMs}`]);
  }
}
if (results.figures !== undefined && compare !== undefined) {
  rows.push(["", "", ""], ["before / after (same run)", "", ""]);
  for (const [name, f] of Object.entries(results.figures)) {
    rows.push([`  ${name}`, `${f.before ?? "-"} -> ${f.value ?? "-"}`, f.budget]);
  }
}
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
const m = results.machine;
console.log(`\noffboard benchmarks: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, node ${m.node}`);
console.log(`load average ${m.loadavg1m} at start, ${results.machineAtEnd.loadavg1m} at end; ${results.durationS} s\n`);
for (const [a, b1, c1] of rows) console.log(`${a.padEnd(w0)}  ${b1.padStart(w1)}  ${c1}`);

const file =
  quick || only.size < PARTS.length ? path.join(OUT_DIR, "results.partial.json") : path.join(BENCH_DIR, "results.json");
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
