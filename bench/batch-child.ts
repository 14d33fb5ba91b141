/**
 * Part 3, one measurement in its own process (so peak RSS is this size's alone):
 *   tsx bench/batch-child.ts <events> <memory|sqlite>
 * Generates `events` routed EventBridge envelopes (all lifecycle types, about 4 events per user), runs
 * them through one `processBatch` with no-op Slack and Jira sinks and the chosen ledger, checks every
 * record was delivered, and prints one JSON line of figures.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { SqliteLedger } from "@offboard/adapters";
import {
  DeliveryLedger,
  HrisDirectory,
  type InputRecord,
  PipelineConfig,
  processBatch,
  sinksLayer,
} from "@offboard/core";
import { noopSink } from "@offboard/core/testing";
import { Effect, Layer } from "effect";
import { envelopeStream } from "./fixtures.ts";

const events = Number(process.argv[2] ?? "10000");
const ledgerKind = process.argv[3] === "sqlite" ? "sqlite" : "memory";

const bodies = envelopeStream({ count: events, lifecycleShare: 1, users: Math.max(50, events >> 2), seed: 11 });
const records: Array<InputRecord> = bodies.map((body, i) => ({ id: `m-${i}`, body }));

const dir = ledgerKind === "sqlite" ? mkdtempSync(path.join(tmpdir(), "offboard-bench-")) : undefined;
const ledger =
  dir !== undefined ? SqliteLedger.layer({ path: path.join(dir, "ledger.sqlite") }) : DeliveryLedger.inMemory();
const layer = Layer.mergeAll(
  PipelineConfig.layer(),
  ledger,
  HrisDirectory.none,
  sinksLayer([noopSink("slack"), noopSink("jira")]),
);

global.gc?.();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
// Time spent in garbage collection pauses during the batch.
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
gcObserver.observe({ entryTypes: ["gc"] });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const outcomes = await Effect.runPromise(Effect.provide(processBatch(records), layer));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 20));
gcObserver.disconnect();
const maxRssKb = process.resourceUsage().maxRSS;
// What the batch keeps alive: heap after a full GC while the outcomes are still referenced, minus before.
global.gc?.();
const retainedMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

const delivered = outcomes.filter((o) => o.status === "delivered").length;
if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
if (delivered !== events) {
  const other = outcomes.find((o) => o.status !== "delivered");
  console.error(`expected ${events} delivered records, got ${delivered}; e.g. ${JSON.stringify(other).slice(0, 400)}`);
  process.exit(1);
}
console.log(
  JSON.stringify({
    events,
    ledger: ledgerKind,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs,
    eventsPerSec: events / (ms / 1000),
    rssBeforeMb: rssBefore / 2 ** 20,
    peakRssMb: maxRssKb / 1024,
    retainedMb,
    inputMb: bodies.reduce((a, b) => a + b.length, 0) / 2 ** 20,
  }),
);
