/**
 * The Event Hook Lambda against moto_server (Secrets Manager for the header secret, SQS for the worker's
 * queue), driven with the requests Okta sends (verification GET, delivery POST) as Function URL events.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { fakeLogEvent, type Moto, startMoto } from "@offboard/testkit";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EVENT_HOOK_SOURCE } from "../src/event-hook/envelope.ts";
import { makeEventHookHandler } from "../src/event-hook/handler.ts";
import { secretMatches } from "../src/event-hook/receiver.ts";

let moto: Moto;
let secrets: SecretsManagerClient;
let sqs: SQSClient;
let secretArn: string;
let queueUrl: string;
const SECRET = "hook-secret-value-1";

const functionUrlEvent = (
  method: string,
  headers: Record<string, string>,
  body?: string,
  base64 = false,
): APIGatewayProxyEventV2 =>
  ({
    version: "2.0",
    rawPath: "/",
    headers,
    requestContext: { http: { method, path: "/" } },
    isBase64Encoded: base64,
    ...(body !== undefined ? { body: base64 ? Buffer.from(body).toString("base64") : body } : {}),
  }) as unknown as APIGatewayProxyEventV2;

const hookBody = (events: ReadonlyArray<unknown>, eventId = "b5a188b9-5ece-4636-b041-482ffda96311") =>
  JSON.stringify({
    eventType: "com.okta.event_hook",
    eventTypeVersion: "1.0",
    source: "https://acme.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
    eventId,
    eventTime: new Date().toISOString(),
    data: { events },
  });

const handlerFor = (queue = queueUrl) =>
  makeEventHookHandler({
    env: { OFFBOARD_QUEUE_URL: queue, OKTA_EVENT_HOOK_SECRET_ARN: secretArn, AWS_REGION: "us-east-1" },
    secrets,
    sqs,
  });

const drain = async () => {
  const bodies: Array<Record<string, unknown>> = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if ((r.Messages ?? []).length === 0) return bodies;
    for (const m of r.Messages ?? []) bodies.push(JSON.parse(m.Body ?? "{}") as Record<string, unknown>);
  }
};

beforeAll(async () => {
  moto = await startMoto();
  secrets = new SecretsManagerClient(moto.clientConfig);
  sqs = new SQSClient(moto.clientConfig);
}, 30_000);
afterAll(async () => {
  secrets.destroy();
  sqs.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  secretArn =
    (
      await secrets.send(
        new CreateSecretCommand({
          Name: "offboard-hook",
          SecretString: JSON.stringify({ OKTA_EVENT_HOOK_SECRET: SECRET }),
        }),
      )
    ).ARN ?? "";
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "offboard-events" }))).QueueUrl ?? "";
});

describe("Event Hook verification", () => {
  it("answers Okta's one-time challenge when the header secret matches", async () => {
    const res = await handlerFor()(
      functionUrlEvent("GET", { authorization: SECRET, "x-okta-verification-challenge": "Zk9xC2vA-_1" }),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual({ verification: "Zk9xC2vA-_1" });
  });

  it("refuses the challenge with a wrong secret, without echoing it", async () => {
    const res = await handlerFor()(
      functionUrlEvent("GET", { authorization: "guess", "x-okta-verification-challenge": "Zk9xC2vA" }),
    );
    expect(res.statusCode).toBe(401);
    expect(String(res.body)).not.toContain("Zk9xC2vA");
  });
});

describe("Event Hook deliveries", () => {
  it("enqueues each event as an envelope with offboard's own source and answers 204", async () => {
    const events = [
      fakeLogEvent("user.lifecycle.deactivate", new Date().toISOString()),
      fakeLogEvent("user.session.start", new Date().toISOString()),
    ];

    const res = await handlerFor()(functionUrlEvent("POST", { authorization: SECRET }, hookBody(events), true));

    expect(res.statusCode).toBe(204);
    const queued = await drain();
    expect(queued.map((m) => m.source)).toEqual([EVENT_HOOK_SOURCE, EVENT_HOOK_SOURCE]);
    expect(queued.map((m) => (m.detail as { uuid: string }).uuid)).toEqual(events.map((e) => e.uuid));
    expect(queued[0]?.["detail-type"]).toBe("SystemLog");
  });

  it("enqueues Okta's retry of a batch with the same envelope ids, so the worker's ledger skips it", async () => {
    const events = [fakeLogEvent("user.lifecycle.suspend", new Date().toISOString())];
    const h = handlerFor();
    await h(functionUrlEvent("POST", { authorization: SECRET }, hookBody(events)));
    await h(functionUrlEvent("POST", { authorization: SECRET }, hookBody(events)));
    const queued = await drain();
    expect(queued).toHaveLength(2);
    expect(new Set(queued.map((m) => m.id)).size).toBe(1);
  });

  it("refuses a wrong secret (401) and enqueues nothing", async () => {
    const res = await handlerFor()(
      functionUrlEvent("POST", { authorization: "nope" }, hookBody([fakeLogEvent("user.lifecycle.suspend", "x")])),
    );
    expect(res.statusCode).toBe(401);
    expect(await drain()).toHaveLength(0);
  });

  it("answers 400 to a body that is not JSON and to JSON that is not an Event Hook", async () => {
    const h = handlerFor();
    expect((await h(functionUrlEvent("POST", { authorization: SECRET }, "{not json"))).statusCode).toBe(400);
    expect(
      (await h(functionUrlEvent("POST", { authorization: SECRET }, JSON.stringify({ eventType: "x" })))).statusCode,
    ).toBe(400);
  });

  it("answers 503 when the queue refuses the batch, so Okta retries once", async () => {
    const res = await handlerFor(`${queueUrl}-missing`)(
      functionUrlEvent("POST", { authorization: SECRET }, hookBody([fakeLogEvent("user.lifecycle.suspend", "x")])),
    );
    expect(res.statusCode).toBe(503);
  });

  it("picks up a rotated secret without a cold start", async () => {
    const h = handlerFor();
    await h(functionUrlEvent("GET", { authorization: SECRET, "x-okta-verification-challenge": "a" }));
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({ OKTA_EVENT_HOOK_SECRET: "new" }),
      }),
    );
    const res = await h(functionUrlEvent("GET", { authorization: "new", "x-okta-verification-challenge": "a" }));
    expect(res.statusCode).toBe(200);
  });
});

describe("secretMatches", () => {
  it("is true only for the exact secret", () => {
    expect(secretMatches("abc", "abc")).toBe(true);
    expect(secretMatches("abcd", "abc")).toBe(false);
    expect(secretMatches(undefined, "abc")).toBe(false);
    expect(secretMatches("", "")).toBe(false);
  });
});
