/**
 * The scheduled System Log poller against moto_server (DynamoDB ledger table for the checkpoint, SQS for
 * the worker's queue, Secrets Manager for the Okta credential) and the loopback Okta.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLedgerTable, dynamoDbCheckpointStore } from "@offboard/adapters";
import { type FakeOkta, fakeLogEvent, type Moto, startFakeOkta, startMoto } from "@offboard/testkit";
import { Effect } from "effect";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POLLER_SOURCE } from "../src/event-hook/envelope.ts";
import { makePollerHandler } from "../src/poller/handler.ts";

let moto: Moto;
let okta: FakeOkta;
let secrets: SecretsManagerClient;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let queueUrl: string;
let secretArn: string;
let adminSecretArn: string;
let table: string;
let emf: Array<Record<string, unknown>>;
let tableSeq = 0;

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

const poller = (extra: Record<string, string> = {}) =>
  makePollerHandler({
    env: {
      OKTA_ORG_URL: okta.url,
      OKTA_SECRET_ARN: secretArn,
      OFFBOARD_LEDGER_TABLE: table,
      OFFBOARD_QUEUE_URL: queueUrl,
      POLLER_INITIAL_LOOKBACK_HOURS: "2",
      AWS_REGION: "us-east-1",
      ...extra,
    },
    secrets,
    sqs,
    dynamodb,
    log: (line) => emf.push(JSON.parse(line) as Record<string, unknown>),
  });

const drain = async () => {
  const bodies: Array<{ source: string; detail: { uuid: string; eventType: string } }> = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if ((r.Messages ?? []).length === 0) return bodies;
    for (const m of r.Messages ?? []) bodies.push(JSON.parse(m.Body ?? "{}"));
  }
};

beforeAll(async () => {
  moto = await startMoto();
  secrets = new SecretsManagerClient(moto.clientConfig);
  sqs = new SQSClient(moto.clientConfig);
  dynamodb = new DynamoDBClient(moto.clientConfig);
}, 30_000);
afterAll(async () => {
  secrets.destroy();
  sqs.destroy();
  dynamodb.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  okta = await startFakeOkta();
  emf = [];
  table = `offboard-ledger-${++tableSeq}`;
  await Effect.runPromise(createLedgerTable(dynamodb, table));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "offboard-events" }))).QueueUrl ?? "";
  secretArn =
    (
      await secrets.send(
        new CreateSecretCommand({
          Name: "offboard-okta-read",
          SecretString: JSON.stringify({ OKTA_API_TOKEN: okta.token }),
        }),
      )
    ).ARN ?? "";
  adminSecretArn =
    (
      await secrets.send(
        new CreateSecretCommand({
          Name: "offboard-okta-admin",
          SecretString: JSON.stringify({ OKTA_API_TOKEN: okta.token }),
        }),
      )
    ).ARN ?? "";
});
afterEach(async () => {
  await okta.close();
});

describe("the scheduled poller", () => {
  it("enqueues lifecycle events with source offboard.poller and resumes from its checkpoint in the ledger table", async () => {
    const first = [
      fakeLogEvent("user.lifecycle.suspend", minutesAgo(50)),
      fakeLogEvent("user.lifecycle.deactivate", minutesAgo(40)),
    ];
    okta.addEvents(fakeLogEvent("user.session.start", minutesAgo(45)), ...first);

    await poller()();
    const queued = await drain();
    expect(queued.map((m) => m.detail.uuid)).toEqual(first.map((e) => e.uuid));
    expect(new Set(queued.map((m) => m.source))).toEqual(new Set([POLLER_SOURCE]));
    const stored = await dynamoDbCheckpointStore(dynamodb, table, okta.url).read();
    expect(stored?.next).toContain("/api/v1/logs");

    const later = fakeLogEvent("user.lifecycle.delete.initiated", minutesAgo(1));
    okta.addEvents(later);
    okta.rateLimitNext(1, 1);
    await poller()();

    expect((await drain()).map((m) => m.detail.uuid)).toEqual([later.uuid]);
    expect(emf.at(-1)).toMatchObject({ PollerEventsRead: 1, PollerEventsEnqueued: 1 });
  });

  it("stops without moving the checkpoint back when another run advanced it first", async () => {
    const store = dynamoDbCheckpointStore(dynamodb, table, okta.url);
    const a = await store.write({ next: `${okta.url}/api/v1/logs?after=a` }, 0);
    const b = await store.write({ next: `${okta.url}/api/v1/logs?after=b` }, 0);

    expect(a.written).toBe(true);
    expect(b.written).toBe(false);
    expect((await store.read())?.next).toContain("after=a");
  });
});

describe("log-stream health", () => {
  it("detects an inactive stream, reports it for the alarm, and backfills the gap", async () => {
    const stream = okta.seed({ name: "offboard" });
    okta.deactivateStream(stream.id, minutesAgo(30));
    const missedByStream = [
      fakeLogEvent("user.lifecycle.deactivate", minutesAgo(20)),
      fakeLogEvent("user.lifecycle.suspend", minutesAgo(10)),
    ];
    okta.addEvents(...missedByStream);

    const run = await poller({ OKTA_LOG_STREAM_NAME: "offboard" })();

    expect(run.streamStatus).toBe("INACTIVE");
    expect(emf.at(-1)).toMatchObject({ LogStreamInactive: 1, LogStreamDeactivations: 1 });
    expect((await drain()).map((m) => m.detail.uuid)).toEqual(missedByStream.map((e) => e.uuid));
    expect(okta.streams.get(stream.id)?.status).toBe("INACTIVE");
  });

  it("re-activates the stream when opted in", async () => {
    const stream = okta.seed({ name: "offboard" });
    okta.deactivateStream(stream.id, minutesAgo(30));

    await poller({
      OKTA_LOG_STREAM_ID: stream.id,
      OKTA_AUTO_REACTIVATE: "true",
      OKTA_ADMIN_SECRET_ARN: adminSecretArn,
    })();

    expect(okta.streams.get(stream.id)?.status).toBe("ACTIVE");
    expect(emf.at(-1)).toMatchObject({ LogStreamInactive: 0, LogStreamReactivated: 1 });
  });

  it("reports an active stream as healthy", async () => {
    okta.seed({ name: "offboard" });
    await poller({ OKTA_LOG_STREAM_NAME: "offboard" })();
    expect(emf.at(-1)).toMatchObject({ LogStreamInactive: 0, LogStreamDeactivations: 0 });
  });
});
