/**
 * `npm run bench`: every benchmark of docs/performance.md in one run, a table on stdout and every figure
 * (with the machine it ran on) in bench/results.json. Not part of `npm test`; CI does not run it.
 *
 *   npm run bench                      # everything, writes bench/results.json (about 4–5 minutes)
 *   npm run bench -- --only bundle,cold
 *   npm run bench -- --quick           # small sizes, writes bench/.out/results.quick.json
 */
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BatchResult, runBatchScale } from "./batch.ts";
import { type BundleResult, buildWorkerBundle } from "./bundle.ts";
import { type ColdStartResult, runColdStart } from "./cold-start.ts";
import { runThroughput, type ThroughputResult } from "./throughput.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const PARTS = ["throughput", "bundle", "cold", "batch"] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args[args.indexOf("--only") + 1];
const only = new Set<Part>(
  args.includes("--only") && onlyArg !== undefined ? (onlyArg.split(",") as Array<Part>) : PARTS,
);
for (const p of only) if (!PARTS.includes(p)) throw new Error(`unknown part ${p}; parts: ${PARTS.join(", ")}`);

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
}
if (only.has("cold") && results.bundle !== undefined) {
  step("2. cold start (fresh node processes, moto + loopback Slack/Jira)");
  results.coldStart = await runColdStart({
    outDir: OUT_DIR,
    bundle: path.resolve(BENCH_DIR, "..", results.bundle.file),
    placeholder: results.bundle.placeholder,
    ...(quick && { runs: 3 }),
  });
}
if (only.has("batch")) {
  step("3. batch scale (one process per size and ledger)");
  results.batch = await runBatchScale({ outDir: OUT_DIR, ...(quick && { sizes: [1_000, 5_000] }) });
}
results.machineAtEnd = machine();
results.durationS = Math.round((performance.now() - t0) / 1000);

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
      `worker bundle${b.placeholder ? " (PLACEHOLDER handler)" : ""}`,
      `${n(b.bytes)} bytes`,
      `map ${n(b.sourceMapBytes)}`,
    ],
    ["  budget: bundle < 1.5 MB", ok(b.budget.met), ""],
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
    ["  node boot + import of the bundle only", `${c.importOnlyRatio}x`, "(boot + import) / baseline"],
  );
}
if (results.batch !== undefined) {
  for (const r of results.batch.runs) {
    rows.push([
      `processBatch ${n(r.events)}, ${r.ledger} ledger`,
      `${n(r.eventsPerSec)} events/s`,
      `${r.usPerEvent} us/event, peak RSS ${r.peakRssMb} MB, retained ${r.retainedMb} MB`,
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
