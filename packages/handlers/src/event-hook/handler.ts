/**
 * Lambda entry point behind a Function URL: the Okta Event Hook receiver (see receiver.ts). Enqueues each
 * event of a delivery into the worker's queue as an envelope with source `offboard.event-hook`.
 *
 * Environment (set by the CDK construct):
 * - OFFBOARD_QUEUE_URL: the worker's queue;
 * - OKTA_EVENT_HOOK_SECRET_ARN: a Secrets Manager JSON secret holding the header value under
 *   OKTA_EVENT_HOOK_SECRET_KEY (default `OKTA_EVENT_HOOK_SECRET`);
 * - OKTA_EVENT_HOOK_HEADER: the header Okta sends it in (default `Authorization`).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Redacted } from "effect";
import { loadOktaToken } from "../log-stream/secret.ts";
import { EVENT_HOOK_SOURCE, sqsEnqueue, toEnvelope } from "./envelope.ts";
import { type HookRequest, makeEventHookReceiver } from "./receiver.ts";

const SECRET_TTL_MS = 5 * 60_000;

export interface EventHookLambdaOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly secrets?: Pick<SecretsManagerClient, "send">;
  readonly sqs?: SQSClient;
}

/** The handler over its environment and clients (built once per cold start). */
export const makeEventHookHandler = (options: EventHookLambdaOptions = {}) => {
  const env = options.env ?? process.env;
  const queueUrl = env.OFFBOARD_QUEUE_URL ?? "";
  const secretArn = env.OKTA_EVENT_HOOK_SECRET_ARN ?? "";
  const secretKey = env.OKTA_EVENT_HOOK_SECRET_KEY ?? "OKTA_EVENT_HOOK_SECRET";
  const secrets = options.secrets ?? new SecretsManagerClient({});
  const sqs = options.sqs ?? new SQSClient({});
  const enqueue = sqsEnqueue(sqs, queueUrl);
  let cached: { value: string; at: number } | undefined;
  const read = async () => {
    if (secretArn === "") throw new Error("OKTA_EVENT_HOOK_SECRET_ARN is not set");
    const value = Redacted.value(await loadOktaToken(secrets, secretArn, secretKey));
    cached = { value, at: Date.now() };
    return value;
  };
  const receive = makeEventHookReceiver({
    headerName: env.OKTA_EVENT_HOOK_HEADER ?? "Authorization",
    secret: async () => (cached !== undefined && Date.now() - cached.at < SECRET_TTL_MS ? cached.value : read()),
    refreshSecret: read,
    deliver: async (events, { eventId, signal }) => {
      if (queueUrl === "") throw new Error("OFFBOARD_QUEUE_URL is not set");
      const where = { account: env.AWS_ACCOUNT_ID, region: env.AWS_REGION };
      await enqueue(
        events.map((e, i) => toEnvelope(e, EVENT_HOOK_SOURCE, where, `${eventId ?? "hook"}:${i}`)),
        signal,
      );
    },
  });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
    const body =
      event.body === undefined
        ? undefined
        : event.isBase64Encoded
          ? Buffer.from(event.body, "base64").toString("utf8")
          : event.body;
    const req: HookRequest = { method: event.requestContext?.http?.method ?? "GET", headers, body };
    return receive(req);
  };
};

let cold: ReturnType<typeof makeEventHookHandler> | undefined;

export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  cold ??= makeEventHookHandler();
  return cold(event);
};
