// One cold start: a fresh node process imports a handler module and handles one SQS event.
//   node runner.mjs <handler module> <event.json> [<second-event.json>]
// With a second event, also times a warm batch in the same process (the steady-state I/O cost).
// Prints one line `COLD {json}` with milliseconds since the process started (performance.now()), and
// the CPU time (user + system, process.cpuUsage) of the import and of the first batch: wall time minus
// CPU time is waiting (on moto, the loopback vendors, the disk).
// With OFFBOARD_BENCH_COMPILE_CACHE=<dir>, turns on Node's compile cache (module.enableCompileCache)
// before importing the handler, as a Lambda handler module would on its first line.
import { readFileSync } from "node:fs";
import module from "node:module";
import { pathToFileURL } from "node:url";

const [modulePath, eventPath, warmPath] = process.argv.slice(2);
const started = performance.now(); // node bootstrap done, this module evaluated
const event = JSON.parse(readFileSync(eventPath, "utf8"));
const context = {
  functionName: "offboard-worker",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:offboard-worker",
  memoryLimitInMB: "512",
  awsRequestId: "00000000-0000-4000-8000-000000000000",
  logGroupName: "/aws/lambda/offboard-worker",
  logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done() {},
  fail() {},
  succeed() {},
};
const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const cacheDir = process.env.OFFBOARD_BENCH_COMPILE_CACHE;
let compileCache;
if (cacheDir !== undefined && cacheDir !== "") {
  if (typeof module.enableCompileCache !== "function") throw new Error(`node ${process.version} has no compile cache`);
  compileCache = module.enableCompileCache(cacheDir).status;
}
const beforeImport = performance.now();
const cpu0 = process.cpuUsage();
const mod = await import(pathToFileURL(modulePath).href);
const imported = performance.now();
const cpu1 = process.cpuUsage();
const result = await mod.handler(event, context);
const handled = performance.now();
const firstBatchCpuMs = cpuMs(cpu1);
const importCpuMs = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000;
let warmBatchMs;
let warmFailures = 0;
if (warmPath !== undefined) {
  const warm = await mod.handler(JSON.parse(readFileSync(warmPath, "utf8")), context);
  warmBatchMs = performance.now() - handled;
  warmFailures = warm?.batchItemFailures?.length ?? -1;
}
process.stdout.write(
  `\nCOLD ${JSON.stringify({
    bootMs: started,
    importMs: imported - beforeImport,
    firstBatchMs: handled - imported,
    totalMs: handled,
    failures: (result?.batchItemFailures?.length ?? -1) + warmFailures,
    warmBatchMs,
    importCpuMs,
    firstBatchCpuMs,
    node: process.version,
    compileCache,
  })}\n`,
  () => process.exit(0),
);
