/**
 * Part 2b: cold start. A fresh `node bench/cold-start/runner.mjs` process imports the worker bundle and
 * handles one 10-record SQS event; the baseline is the same runner importing an empty handler. Each run
 * uses fresh event uuids (so the ledger never short-cuts a delivery as a duplicate) and the real
 * adapters: configuration from the environment plus a Secrets Manager secret, the DynamoDB ledger and
 * the DLQ on moto_server, Slack and Jira on loopback HTTP servers that answer like the vendors.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
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
  readonly samplesTotalMs: ReadonlyArray<number>;
}

export interface ColdStartResult {
  readonly handler: "real" | "placeholder";
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
  readonly importOnlyRatio: number;
  /** Requests the loopback vendors saw per batch of 10 (median). */
  readonly requestsPerRun: { readonly slack: number; readonly jira: number };
  /** AWS API calls of one extra cold run (first batch + warm batch), counted by a proxy in front of moto. */
  readonly awsCalls: Readonly<Record<string, number>>;
  readonly budget: { readonly maxRatio: number; readonly met: boolean };
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
  wallMs: number;
}

const runChild = (runner: string, modulePath: string, eventFiles: ReadonlyArray<string>, env: NodeJS.ProcessEnv) =>
  new Promise<ChildFigures>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [runner, modulePath, ...eventFiles], {
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
  samplesTotalMs: xs.map((x) => round(x.totalMs, 1)),
});

/**
 * One more worker run (not timed) with AWS_ENDPOINT_URL pointing at a counting proxy in front of moto:
 * how many AWS calls a cold start and a warm batch make, by API action.
 */
const countAwsCalls = async (
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
    await runChild(runner, bundle, [first, warm], { ...env, AWS_ENDPOINT_URL: proxy.url });
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
}): Promise<ColdStartResult> => {
  const runs = o.runs ?? 11;
  const batchSize = 10;
  const runner = path.join(import.meta.dirname, "cold-start", "runner.mjs");
  const empty = path.join(import.meta.dirname, "cold-start", "empty-handler.mjs");
  const eventsDir = path.join(o.outDir, "cold-start-events");
  mkdirSync(eventsDir, { recursive: true });

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
    const baseline: Array<ChildFigures> = [];
    const slackPerRun: Array<number> = [];
    const jiraPerRun: Array<number> = [];
    // One warm-up pair (fills the OS file cache), then alternate so drift hits both sides alike.
    for (let r = -1; r < runs; r++) {
      const eventFile = path.join(eventsDir, `batch-${r + 1}.json`);
      const warmFile = path.join(eventsDir, `warm-${r + 1}.json`);
      writeFileSync(eventFile, JSON.stringify(batchFor(r + 1, batchSize)));
      writeFileSync(warmFile, JSON.stringify(batchFor(5_000 + r, batchSize)));
      const s0 = slack.requests.length;
      const j0 = jira.requests.length;
      const w = await runChild(runner, o.bundle, [eventFile, warmFile], env);
      const b = await runChild(runner, empty, [eventFile], env);
      if (r < 0) continue;
      worker.push(w);
      baseline.push(b);
      slackPerRun.push((slack.requests.length - s0) / 2);
      jiraPerRun.push((jira.requests.length - j0) / 2);
    }
    const requestsPerRun = { slack: median(slackPerRun), jira: median(jiraPerRun) };
    if (!o.placeholder && requestsPerRun.slack < batchSize) {
      throw new Error(`expected at least ${batchSize} Slack calls per cold-start run, saw ${requestsPerRun.slack}`);
    }
    const awsCalls = await countAwsCalls(runner, o.bundle, eventsDir, env, moto.endpoint, batchSize);
    const w = side(worker);
    const b = side(baseline);
    const ratio = round(w.totalMs / b.totalMs, 2);
    return {
      handler: o.placeholder ? "placeholder" : "real",
      batchSize,
      worker: w,
      baseline: b,
      ratio,
      pairedRatio: round(median(worker.map((x, i) => x.totalMs / baseline[i]!.totalMs)), 2),
      withoutSteadyIoRatio: round((w.totalMs - w.warmBatchMs) / b.totalMs, 2),
      importOnlyRatio: round((w.bootMs + w.importMs) / b.totalMs, 2),
      requestsPerRun,
      awsCalls,
      budget: { maxRatio: 3, met: ratio <= 3 },
    };
  } finally {
    await slack.close();
    await jira.close();
    await moto.stop();
  }
};
