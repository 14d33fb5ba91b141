/**
 * Lambda entry point of the System Log poller, run by an EventBridge Scheduler schedule (default every
 * 5 minutes). One run: read from the checkpoint, enqueue, advance the checkpoint, check the log stream,
 * print one EMF metrics line. A failed run throws (the Lambda Errors metric and alarm see it); the next
 * run starts from the last checkpoint written, so nothing is skipped.
 *
 * Environment (set by the CDK construct):
 * - OKTA_ORG_URL, OKTA_CUSTOM_DOMAINS (optional);
 * - OKTA_SECRET_ARN: JSON secret with the read credential: OKTA_API_TOKEN, or OKTA_CLIENT_ID and
 *   OKTA_PRIVATE_KEY (OKTA_PRIVATE_KEY_ID) of a service app with okta.logs.read (+ okta.logStreams.read
 *   when a stream is watched);
 * - OFFBOARD_LEDGER_TABLE (checkpoint), OFFBOARD_QUEUE_URL (the worker's queue);
 * - OKTA_LOG_STREAM_ID or OKTA_LOG_STREAM_NAME: the stream to watch (absent: none);
 * - OKTA_AUTO_REACTIVATE=true and OKTA_ADMIN_SECRET_ARN (JSON key OKTA_API_TOKEN): re-activate it;
 * - OKTA_MAX_REQUESTS_PER_MINUTE (default 25), POLLER_INITIAL_LOOKBACK_HOURS (24), POLLER_MAX_PAGES (20).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  dynamoDbCheckpointStore,
  makeOktaClient,
  oktaLogStreams,
  oktaSystemLog,
  readOktaSettings,
} from "@offboard/adapters/okta";
import { sqsEnqueue } from "../event-hook/envelope.ts";
import { emfLine, type PollerRun, runPoller } from "./poller.ts";

export interface PollerLambdaOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly secrets?: Pick<SecretsManagerClient, "send">;
  readonly sqs?: SQSClient;
  readonly dynamodb?: DynamoDBClient;
  readonly log?: (line: string) => void;
}

/** The keys of a JSON secret as strings. Never logs a value. */
const readJsonSecret = async (
  secrets: Pick<SecretsManagerClient, "send">,
  arn: string,
): Promise<Record<string, string>> => {
  let text: string | undefined;
  try {
    text = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (cause) {
    throw new Error(`Could not read secret ${arn} (${cause instanceof Error ? cause.name : "Error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? "");
  } catch {
    throw new Error(`Secret ${arn} is not a JSON object`);
  }
  const out: Record<string, string> = {};
  if (typeof parsed === "object" && parsed !== null) {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = v;
  }
  return out;
};

const positive = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
};

export const makePollerHandler = (options: PollerLambdaOptions = {}) => {
  const env = options.env ?? process.env;
  const secrets = options.secrets ?? new SecretsManagerClient({});
  const sqs = options.sqs ?? new SQSClient({});
  const dynamodb = options.dynamodb ?? new DynamoDBClient({});
  const log = options.log ?? ((line: string) => console.log(line));
  return async (): Promise<PollerRun> => {
    const need = (name: string) => {
      const v = env[name];
      if (v === undefined || v === "") throw new Error(`${name} is not set`);
      return v;
    };
    const table = need("OFFBOARD_LEDGER_TABLE");
    const queueUrl = need("OFFBOARD_QUEUE_URL");
    const source = { ...env, ...(await readJsonSecret(secrets, need("OKTA_SECRET_ARN"))) };
    const settings = readOktaSettings(
      {
        ...source,
        OKTA_ORG_URL: env.OKTA_ORG_URL,
        OKTA_CUSTOM_DOMAINS: env.OKTA_CUSTOM_DOMAINS,
        OKTA_MAX_REQUESTS_PER_MINUTE: env.OKTA_MAX_REQUESTS_PER_MINUTE,
      },
      "poll Okta's System Log",
    );
    const okta = makeOktaClient({ ...settings, userAgent: "offboard-poller", requestTimeoutMs: 35_000 });
    const streamId = env.OKTA_LOG_STREAM_ID || undefined;
    const streamName = env.OKTA_LOG_STREAM_NAME || undefined;
    const autoReactivate = env.OKTA_AUTO_REACTIVATE === "true";
    let streams = streamId !== undefined || streamName !== undefined ? oktaLogStreams(okta) : undefined;
    if (autoReactivate && env.OKTA_ADMIN_SECRET_ARN) {
      const admin = await readJsonSecret(secrets, env.OKTA_ADMIN_SECRET_ARN);
      const adminSettings = readOktaSettings(
        { ...admin, OKTA_ORG_URL: env.OKTA_ORG_URL, OKTA_CUSTOM_DOMAINS: env.OKTA_CUSTOM_DOMAINS },
        "re-activate the log stream",
      );
      streams = oktaLogStreams(makeOktaClient({ ...adminSettings, userAgent: "offboard-poller" }));
    }
    const run = await runPoller({
      reader: oktaSystemLog(okta),
      store: dynamoDbCheckpointStore(dynamodb, table, okta.origin),
      enqueue: sqsEnqueue(sqs, queueUrl),
      initialLookbackMs: positive(env.POLLER_INITIAL_LOOKBACK_HOURS, 24, "POLLER_INITIAL_LOOKBACK_HOURS") * 3_600_000,
      maxPages: Math.floor(positive(env.POLLER_MAX_PAGES, 20, "POLLER_MAX_PAGES")),
      stream: { id: streamId, name: streamName },
      streams,
      autoReactivate,
      account: env.AWS_ACCOUNT_ID,
      region: env.AWS_REGION,
    });
    log(emfLine(run, env.POWERTOOLS_METRICS_NAMESPACE ?? "Offboard"));
    return run;
  };
};

let cold: ReturnType<typeof makePollerHandler> | undefined;

export const handler = async (): Promise<PollerRun> => {
  cold ??= makePollerHandler();
  return cold();
};
