/**
 * The Lambda as the CDK stack ships it: `src/sqs-worker.ts` bundled by esbuild (better-sqlite3
 * external, as in the stack), its `handler` invoked with SQS events the way Lambda's event source
 * mapping does (batches of up to 10; records not in `batchItemFailures` deleted), configured only
 * through the environment the stack sets (secret ARN, ledger table, DLQ URL, vendor settings).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createLedgerTable } from "@offboard/adapters";
import { type Moto, startMoto } from "@offboard/testkit";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqsHandler } from "../../src/lambda.ts";
import { processMessages } from "../../src/worker.ts";
import {
  type Aws,
  attr,
  awsClients,
  countBy,
  createStack,
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

let moto: Moto;
let aws: Aws;

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto);
});
afterAll(async () => {
  aws?.sqs.destroy();
  aws?.eventbridge.destroy();
  await moto?.stop();
});

/** Bundles the handler module as the CDK stack does and loads it. */
const bundleHandler = async (): Promise<SqsHandler> => {
  const out = join(mkdtempSync(join(tmpdir(), "offboard-lambda-")), "sqs-worker.mjs");
  execFileSync(
    join(REPO_ROOT, "node_modules/.bin/esbuild"),
    [
      join(REPO_ROOT, "packages/handlers/src/sqs-worker.ts"),
      "--bundle",
      "--platform=node",
      "--target=node22",
      "--format=esm",
      "--main-fields=module,main",
      "--conditions=development",
      "--external:better-sqlite3",
      // As the stack's banner: bundled CommonJS dependencies may call require() inside the ESM bundle.
      "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      `--outfile=${out}`,
      "--log-level=error",
    ],
    { stdio: "inherit" },
  );
  const mod = (await import(pathToFileURL(out).href)) as { handler: SqsHandler };
  return mod.handler;
};

describe("the bundled SQS worker Lambda", () => {
  it("delivers each event once and dead-letters poison, driven the way Lambda's SQS event source drives it", async () => {
    const stack = await createStack(moto, aws, "lambda");
    const slack = await startFakeSlack();
    const jira = await startFakeJira();
    // The environment the CDK stack gives the function (AWS_ENDPOINT_URL and credentials point at moto).
    Object.assign(process.env, workerEnv(moto, stack, slack, jira), {
      OFFBOARD_DLQ_URL: stack.dlqUrl,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    await Effect.runPromise(createLedgerTable(undefined, stack.tableName));
    const handler = await bundleHandler();
    const events = [oktaEvent(TYPES.deactivated), oktaEvent(TYPES.suspended), oktaEvent(TYPES.deleted)];
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
        if (messages.length > 0) await processMessages(handler, aws.sqs, stack.queueUrl, messages, "us-east-1");
        return (await queueDepth(aws, stack.queueUrl)) === 0;
      },
      { what: "the queue to drain through the Lambda handler", timeoutMs: 60_000, everyMs: 0 },
    );
    const dlq = await readDlq(aws, stack);
    await slack.close();
    await jira.close();

    expect([...countBy(slack.messages, (m) => m.eventId).values()]).toEqual([1, 1, 1]);
    expect(jira.issues.map((i) => i.eventId)).toEqual([events[0]?.uuid]);
    expect(dlq.map((m) => [m.Body, attr(m, "offboard.reason")])).toEqual([["not json", "not-json"]]);
  }, 120_000);
});
