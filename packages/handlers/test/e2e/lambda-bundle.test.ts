/**
 * The Lambda as the CDK stack ships it: the stack's entry bundled by esbuild with the stack's own
 * externals (better-sqlite3, and `@aws-sdk/*`, which the nodejs22.x runtime provides) and banner, its
 * `handler` invoked with SQS events the way Lambda's event source mapping does (batches of up to 10;
 * records not in `batchItemFailures` deleted), configured only through the environment the stack sets
 * (secret ARN, ledger table, DLQ URL, vendor settings).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createLedgerTable } from "@offboard/adapters";
import { ESM_REQUIRE_SHIM, EXTERNAL_MODULES, HANDLER_ENTRIES } from "@offboard/infra";
import { type Moto, useMoto } from "@offboard/testkit";
import { Effect } from "effect";
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

const fixture = useMoto();
let moto: Moto;
let aws: Aws;
let bundleDir: string | undefined;

beforeAll(() => {
  moto = fixture.moto;
  aws = awsClients(fixture);
});
afterAll(() => {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

/**
 * Bundles the handler module as the CDK stack does (its entry, externals and banner, imported from
 * @offboard/infra) and loads it. The bundle is written under the repository's node_modules so that the
 * external `@aws-sdk/*` resolves there, as it resolves to the runtime's copy on Lambda.
 */
const bundleHandler = async (): Promise<SqsHandler> => {
  const cache = join(REPO_ROOT, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  bundleDir = mkdtempSync(join(cache, "offboard-lambda-"));
  const out = join(bundleDir, "sqs-worker.mjs");
  execFileSync(
    join(REPO_ROOT, "node_modules/.bin/esbuild"),
    [
      HANDLER_ENTRIES.sqsWorker,
      "--bundle",
      "--platform=node",
      "--target=node22",
      "--format=esm",
      "--main-fields=module,main",
      "--conditions=development",
      "--minify",
      ...EXTERNAL_MODULES.map((m) => `--external:${m}`),
      `--banner:js=${ESM_REQUIRE_SHIM}`,
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
    fixture.useEnv({
      ...workerEnv(moto, stack, slack, jira),
      OFFBOARD_DLQ_URL: stack.dlqUrl,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    await Effect.runPromise(createLedgerTable(undefined, stack.tableName));
    const handler = await bundleHandler();
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
