/**
 * End-to-end harness: what the CDK stack creates, on moto_server (an event bus for Okta's events, the rule with
 * core's exact event pattern, the queue with its redrive policy to a DLQ, the ledger table, the secret),
 * loopback Slack and Jira servers that speak their APIs and can be told to fail, and the `offboard
 * worker` process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type LifecycleKind, oktaEventPattern } from "@offboard/core";
import {
  type Loopback,
  type Moto,
  type MotoFixture,
  type OktaEvent,
  PARTNER_SOURCE,
  type RecordedRequest,
  type Reply,
  startLoopback,
} from "@offboard/testkit";
import type { Context as LambdaContext, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "../../../..");
export const OFFBOARD_BIN = join(REPO_ROOT, "packages/cli/bin/offboard.js");

export const SLACK_TOKEN = "xoxb-fake_e2e-0000-secret";
export const JIRA_TOKEN = "ATATT3x-e2e-secret";

// ── Okta events: the shared factories (@offboard/testkit) ─────────────────────────────────────────

export {
  LIFECYCLE_TYPES as TYPES,
  type OktaEvent,
  oktaEvent,
  oktaUserId,
  PARTNER_SOURCE,
  subjectIdOf,
} from "@offboard/testkit";
export type Kind = LifecycleKind;

// ── AWS: what the CDK stack creates ──────────────────────────────────────────────────────────────

export interface Stack {
  readonly busName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
  readonly secretArn: string;
}

export interface Aws {
  readonly eventbridge: EventBridgeClient;
  readonly sqs: SQSClient;
}

/** The SDK clients the harness drives moto with (destroyed with the fixture). */
export const awsClients = (fixture: MotoFixture): Aws => ({
  eventbridge: fixture.client((c) => new EventBridgeClient({ ...c, maxAttempts: 1 })),
  sqs: fixture.client((c) => new SQSClient(c)),
});

/** The JSON secret the worker reads its tokens from (the handlers package has the Secrets Manager SDK). */
const createSecret = async (moto: Moto, name: string, value: Record<string, string>): Promise<string> => {
  const client = new SecretsManagerClient(moto.clientConfig);
  try {
    const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
    if (out.ARN === undefined) throw new Error(`CreateSecret ${name} returned no ARN`);
    return out.ARN;
  } finally {
    client.destroy();
  }
};

/**
 * Creates one copy of the stack, with names suffixed by `name`: the Okta partner event source and its
 * bus, the rule with core's event pattern targeting the queue, the queue (visibility timeout
 * `visibilitySeconds`, redrive to the DLQ after `maxReceiveCount`) and the secret. The ledger table is
 * created by the test through `offboard ledger create-table`.
 */
export const createStack = async (
  moto: Moto,
  aws: Aws,
  name: string,
  options: { visibilitySeconds?: number; maxReceiveCount?: number } = {},
): Promise<Stack> => {
  // On AWS the bus is Okta's partner bus, named like its source (aws.partner/okta.com/<org>/<name>). moto
  // creates such a bus (after CreatePartnerEventSource) but cannot put a rule on it: its PutRule keeps
  // only what follows the last "/" of the bus name. So the bus here has a plain name; the events on it
  // still carry Okta's partner source, which the rule's pattern and the decoder check.
  const busName = `okta-partner-${name}`;
  await aws.eventbridge.send(new CreateEventBusCommand({ Name: busName }));

  const dlq = await aws.sqs.send(new CreateQueueCommand({ QueueName: `offboard-dlq-${name}` }));
  const dlqUrl = dlq.QueueUrl ?? "";
  const dlqArn = await queueArn(aws, dlqUrl);
  const queue = await aws.sqs.send(
    new CreateQueueCommand({
      QueueName: `offboard-events-${name}`,
      Attributes: {
        VisibilityTimeout: String(options.visibilitySeconds ?? 2),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 10 }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? "";
  const ruleName = `offboard-okta-lifecycle-${name}`;
  await aws.eventbridge.send(
    new PutRuleCommand({ Name: ruleName, EventBusName: busName, EventPattern: JSON.stringify(oktaEventPattern()) }),
  );
  await aws.eventbridge.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: busName,
      Targets: [{ Id: "offboard-events", Arn: await queueArn(aws, queueUrl) }],
    }),
  );
  const secretArn = await createSecret(moto, `offboard/${name}`, {
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    JIRA_API_TOKEN: JIRA_TOKEN,
  });
  return { busName, queueUrl, dlqUrl, tableName: `offboard-ledger-${name}`, secretArn };
};

const queueArn = async (aws: Aws, url: string): Promise<string> => {
  const out = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  const arn = out.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`no ARN for ${url}`);
  return arn;
};

/** PutEvents as Okta Log Streaming does (source = the partner source, detail-type SystemLog), 10 per call. */
export const putEvents = async (aws: Aws, stack: Stack, events: ReadonlyArray<OktaEvent>): Promise<void> => {
  const entries: Array<PutEventsRequestEntry> = events.map((e) => ({
    EventBusName: stack.busName,
    Source: PARTNER_SOURCE,
    DetailType: "SystemLog",
    Detail: JSON.stringify(e),
  }));
  for (let i = 0; i < entries.length; i += 10) {
    const out = await aws.eventbridge.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
    if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  }
};

/** Sends a raw body straight to the queue (what a misconfigured producer might do). */
export const sendRaw = async (aws: Aws, stack: Stack, body: string): Promise<string> => {
  const out = await aws.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
  return out.MessageId ?? "";
};

/** Visible + in-flight + delayed messages of a queue. */
export const queueDepth = async (aws: Aws, url: string): Promise<number> => {
  const out = await aws.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
};

/** Every message now in the DLQ, with its attributes (each is left in flight for 60 s, so none is read twice). */
export const readDlq = async (aws: Aws, stack: Stack): Promise<ReadonlyArray<Message>> => {
  const all: Array<Message> = [];
  for (;;) {
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
      }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) return all;
    all.push(...batch);
  }
};

export const attr = (m: Message, name: string): string | undefined => m.MessageAttributes?.[name]?.StringValue;

// ── Lambda's SQS event source ────────────────────────────────────────────────────────────────────

/** An SDK message as the record Lambda's SQS event source hands to the function. */
const lambdaRecord = (message: Message, queueArnValue: string): SQSRecord => ({
  messageId: message.MessageId ?? "",
  receiptHandle: message.ReceiptHandle ?? "",
  body: message.Body ?? "",
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? "1",
    SentTimestamp: message.Attributes?.SentTimestamp ?? "0",
    SenderId: message.Attributes?.SenderId ?? "",
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? "0",
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN: queueArnValue,
  awsRegion: "us-east-1",
});

/** A Lambda context with the stack's 30 s function timeout. */
const lambdaContext = (): LambdaContext => {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "offboard-worker",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:offboard-worker",
    memoryLimitInMB: "256",
    awsRequestId: `e2e-${Date.now().toString(36)}`,
    logGroupName: "/aws/lambda/offboard-worker",
    logStreamName: "e2e",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/**
 * Invokes a Lambda SQS handler the way Lambda's event source mapping does: the received messages as
 * one SQS event, then every record not named in `batchItemFailures` deleted (a thrown invocation
 * deletes none).
 */
export const invokeAsEventSource = async (
  handler: (event: SQSEvent, context: LambdaContext) => Promise<SQSBatchResponse>,
  aws: Aws,
  queueUrl: string,
  messages: ReadonlyArray<Message>,
): Promise<void> => {
  const arn = await queueArn(aws, queueUrl);
  const records = messages.map((m) => lambdaRecord(m, arn));
  const response = await handler({ Records: records }, lambdaContext()).catch(() => undefined);
  if (response === undefined) return;
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const settled = records.filter((r) => !failed.has(r.messageId));
  if (settled.length === 0) return;
  await aws.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: settled.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }),
  );
};

// ── Loopback Slack and Jira ─────────────────────────────────────────────────────────────────────

/** Decides whether a vendor call fails: a reply to send instead of the real answer, or undefined. */
export type FailurePlan = (call: {
  readonly key: string;
  readonly attempt: number;
  readonly req: RecordedRequest;
}) => Reply | { readonly acted: Reply } | undefined;

export const never: FailurePlan = () => undefined;

export interface SlackMessage {
  readonly eventId: string;
  readonly ts: string;
  readonly channel: string;
  readonly threadTs?: string;
  readonly metadata?: { readonly event_type: string; readonly event_payload: Record<string, unknown> };
}

export interface FakeSlack {
  readonly server: Loopback;
  /** Successful chat.postMessage calls, in order. */
  readonly messages: Array<SlackMessage>;
  /** Successful chat.update calls. */
  readonly updates: Array<{ readonly ts: string }>;
  /** Calls per event id (successful or not). */
  readonly attempts: Map<string, number>;
  fail: (plan: FailurePlan) => void;
  readonly close: () => Promise<void>;
}

const slackField = (req: RecordedRequest, name: string): string | undefined => {
  const v = (req.json as Record<string, unknown> | undefined)?.[name];
  return typeof v === "string" ? v : v === undefined ? undefined : JSON.stringify(v);
};

const EVENT_IN_CONTEXT = /Okta event `([^`]+)`/;

/**
 * The Slack Web API, as much as the Slack sink uses without digests: chat.postMessage (metadata kept),
 * chat.update, and conversations.history / conversations.replies for the lookup after an ambiguous
 * failure. (The stateful fake of @offboard/testkit also speaks files.uploadV2 and rate limits.)
 */
export const startFakeSlack = async (): Promise<FakeSlack> => {
  let plan: FailurePlan = never;
  const messages: Array<SlackMessage> = [];
  const updates: Array<{ ts: string }> = [];
  const attempts = new Map<string, number>();
  let tsSeq = 0;
  const server = await startLoopback((req) => {
    if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return { body: { ok: false, error: "invalid_auth" } };
    const method = req.path.replace(/^\/api\//, "");
    const blocks = slackField(req, "blocks") ?? "";
    const eventId = EVENT_IN_CONTEXT.exec(blocks)?.[1] ?? "unknown";
    const key = method === "chat.update" ? `update:${slackField(req, "ts")}` : eventId;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const failure = plan({ key, attempt, req });
    if (failure !== undefined && !("acted" in failure)) return failure;
    const channel = slackField(req, "channel") ?? "C0123456789";
    if (method === "chat.postMessage") {
      tsSeq += 1;
      const ts = `1762160412.${String(tsSeq).padStart(6, "0")}`;
      const threadTs = slackField(req, "thread_ts");
      const metadata = JSON.parse(slackField(req, "metadata") ?? "null") as NonNullable<
        SlackMessage["metadata"]
      > | null;
      messages.push({
        eventId,
        ts,
        channel,
        ...(threadTs !== undefined && { threadTs }),
        ...(metadata !== null && { metadata }),
      });
      return { body: { ok: true, channel, ts, message: { ts, text: slackField(req, "text") } } };
    }
    if (method === "chat.update") {
      const ts = slackField(req, "ts") ?? "";
      updates.push({ ts });
      return { body: { ok: true, channel, ts } };
    }
    if (method === "conversations.history" || method === "conversations.replies") {
      // The lookup after an ambiguous failure: messages with their metadata (include_all_metadata).
      const thread = method === "conversations.replies" ? slackField(req, "ts") : undefined;
      const found = messages
        .filter(
          (m) => m.channel === channel && (thread === undefined ? m.threadTs === undefined : m.threadTs === thread),
        )
        .reverse()
        .map((m) => ({ type: "message", ts: m.ts, metadata: m.metadata }));
      return { body: { ok: true, messages: found, has_more: false } };
    }
    return { body: { ok: false, error: "unknown_method" } };
  });
  return {
    server,
    messages,
    updates,
    attempts,
    fail: (p) => {
      plan = p;
    },
    close: () => server.close(),
  };
};

export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly labels: ReadonlyArray<string>;
  readonly eventId: string | undefined;
}

export interface FakeJira {
  readonly server: Loopback;
  readonly issues: Array<JiraIssue>;
  /** Comments made, with the Okta event id their text names. */
  readonly comments: Array<{ readonly key: string; readonly eventId: string | undefined; readonly id: string }>;
  /** Faults injected after acting (the issue or comment exists, the answer is an error). */
  readonly acted: { count: number };
  /** Calls per Okta user (the duplicate-guard search and the create both name the user). */
  readonly callsByUser: Map<string, number>;
  fail: (plan: FailurePlan) => void;
  readonly close: () => Promise<void>;
}

const USER_LABEL = /okta-user-([A-Za-z0-9_-]+)/;
/** The Okta event id a comment names (its ADF puts "Okta event: " and the id in neighbouring text nodes). */
const OKTA_EVENT_IN_TEXT = /Okta event: (?:.*?"text":")?([0-9a-fA-F]{4,}-[0-9a-fA-F-]+)/;

/** Jira Cloud REST v3, as much as the Jira sink uses: search (JQL), create issue, comment, transitions. */
export const startFakeJira = async (): Promise<FakeJira> => {
  let plan: FailurePlan = never;
  const issues: Array<JiraIssue> = [];
  const comments: Array<{ key: string; eventId: string | undefined; id: string; body: unknown }> = [];
  const acted = { count: 0 };
  const callsByUser = new Map<string, number>();
  const expected = `Basic ${Buffer.from(`offboard-bot@example.com:${JIRA_TOKEN}`).toString("base64")}`;
  let server: Loopback | undefined;
  const real = (req: RecordedRequest): Reply => answer(req);
  server = await startLoopback((req) => {
    if (req.headers.authorization !== expected) return { status: 401, body: { errorMessages: ["unauthorized"] } };
    const body = (req.json ?? {}) as Record<string, unknown>;
    let user: string | undefined;
    if (req.method === "POST" && req.path === "/rest/api/3/search/jql") {
      user = USER_LABEL.exec(String(body.jql ?? ""))?.[1];
    } else if (req.method === "POST" && req.path === "/rest/api/3/issue") {
      const labels = ((body.fields as { labels?: Array<string> } | undefined)?.labels ?? []) as Array<string>;
      user = labels.map((l) => USER_LABEL.exec(l)?.[1]).find((u) => u !== undefined);
    }
    const key = user ?? `${req.method} ${req.path}`;
    const attempt = (callsByUser.get(key) ?? 0) + 1;
    callsByUser.set(key, attempt);
    const failure = plan({ key, attempt, req });
    if (failure !== undefined && !("acted" in failure)) return failure;
    const reply = real(req);
    if (failure !== undefined && "acted" in failure) {
      acted.count += 1;
      return failure.acted;
    }
    return reply;
  });
  function answer(req: RecordedRequest): Reply {
    const body = (req.json ?? {}) as Record<string, unknown>;
    const user = req.path === "/rest/api/3/search/jql" ? USER_LABEL.exec(String(body.jql ?? ""))?.[1] : undefined;
    if (req.method === "POST" && req.path === "/rest/api/3/search/jql") {
      const found = issues
        .filter((i) => user !== undefined && i.labels.includes(`okta-user-${user}`))
        .reverse()
        .map((i) => ({ id: i.id, key: i.key, properties: { offboard: { eventId: i.eventId } }, fields: {} }));
      return { body: { issues: found, isLast: true } };
    }
    if (req.method === "POST" && req.path === "/rest/api/3/issue") {
      const labels = ((body.fields as { labels?: Array<string> } | undefined)?.labels ?? []) as Array<string>;
      const props = (body.properties ?? []) as Array<{ key: string; value: { eventId?: string } }>;
      const n = 10_000 + issues.length + 1;
      const issue: JiraIssue = {
        id: String(n),
        key: `IT-${issues.length + 1}`,
        labels,
        eventId: props.find((p) => p.key === "offboard")?.value.eventId,
      };
      issues.push(issue);
      return {
        status: 201,
        body: { id: issue.id, key: issue.key, self: `${server?.url}/rest/api/3/issue/${issue.id}` },
      };
    }
    const comment = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(req.path);
    if (req.method === "POST" && comment !== null) {
      const id = String(20_000 + comments.length + 1);
      const text = JSON.stringify(body.body ?? "");
      comments.push({
        key: decodeURIComponent(comment[1] ?? ""),
        eventId: OKTA_EVENT_IN_TEXT.exec(text)?.[1],
        id,
        body: body.body,
      });
      return { status: 201, body: { id } };
    }
    if (req.method === "GET" && comment !== null) {
      const key = decodeURIComponent(comment[1] ?? "");
      const on = comments.filter((c) => c.key === key).reverse();
      return {
        body: { startAt: 0, maxResults: 100, total: on.length, comments: on.map((c) => ({ id: c.id, body: c.body })) },
      };
    }
    if (req.method === "GET" && /\/transitions$/.test(req.path)) return { body: { transitions: [] } };
    return { status: 404, body: { errorMessages: [`no route ${req.method} ${req.path}`] } };
  }
  return {
    server,
    issues,
    comments,
    acted,
    callsByUser,
    fail: (p) => {
      plan = p;
    },
    close: () => server.close(),
  };
};

// ── The offboard worker process ──────────────────────────────────────────────────────────────────

/** The environment a worker needs: moto (standard AWS variables), the secret, the vendors, the ledger. */
export const workerEnv = (
  moto: Moto,
  stack: Stack,
  slack: { readonly server: Loopback },
  jira: { readonly server: Loopback },
): Record<string, string> => ({
  ...moto.env,
  OFFBOARD_SECRET_ARN: stack.secretArn,
  SLACK_CHANNEL_ID: "C0123456789",
  SLACK_API_URL: `${slack.server.url}/api/`,
  JIRA_BASE_URL: jira.server.url,
  JIRA_EMAIL: "offboard-bot@example.com",
  JIRA_PROJECT_KEY: "IT",
  OFFBOARD_LEDGER_TABLE: stack.tableName,
  OFFBOARD_LEASE_SECONDS: "5",
  // One message per alert: these scenarios count messages per event. The burst tests turn digests on.
  SLACK_DIGEST_THRESHOLD: "0",
  // These fakes enforce no rate limit: no pacing either, so fault-injection runs take seconds, not the
  // minutes a 1.1 s pace per post would add. The burst test turns the default pace back on.
  SLACK_POST_INTERVAL_MS: "0",
  OFFBOARD_SINK_TIMEOUT_SECONDS: "3",
  POWERTOOLS_SERVICE_NAME: "offboard",
  POWERTOOLS_METRICS_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "WARN",
});

const logDir = mkdtempSync(join(tmpdir(), "offboard-e2e-"));
let workers = 0;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** SIGTERM, then the exit code and what it wrote to stderr. */
  readonly stop: () => Promise<{ readonly code: number | null; readonly stderr: string }>;
}

/** Runs `offboard <args>` to completion (for `ledger create-table`). */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise) => {
    const child = spawn(process.execPath, [OFFBOARD_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("exit", (code) => resolvePromise({ code, stdout, stderr }));
  });

/** Starts `offboard worker --queue-url … --dlq-url …` (the real binary) and waits until it polls. */
export const spawnWorker = async (
  stack: Stack,
  env: Record<string, string>,
  extraArgs: ReadonlyArray<string> = [],
): Promise<WorkerProcess> => {
  workers += 1;
  const logFile = join(logDir, `worker-${workers}.log`);
  const out = openSync(logFile, "w");
  const child = spawn(
    process.execPath,
    [
      OFFBOARD_BIN,
      "worker",
      "--queue-url",
      stack.queueUrl,
      "--dlq-url",
      stack.dlqUrl,
      "--wait-seconds",
      "1",
      ...extraArgs,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", out, "pipe"] },
  );
  closeSync(out);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await waitUntil(() => stderr.includes("queue: ") || child.exitCode !== null, {
    what: "the worker to start",
    timeoutMs: 30_000,
  });
  if (child.exitCode !== null) throw new Error(`offboard worker exited with ${child.exitCode}:\n${stderr}`);
  return {
    child,
    logFile,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      return { code, stderr };
    },
  };
};

export const workerLog = (w: WorkerProcess): string => readFileSync(w.logFile, "utf8");

/** Polls `check` until it holds; throws (naming `what`) after `timeoutMs`. Not a timing assertion: a liveness bound. */
export const waitUntil = async (
  check: () => boolean | Promise<boolean>,
  options: { readonly what: string; readonly timeoutMs?: number; readonly everyMs?: number },
): Promise<void> => {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 200));
  }
};

/** Counts of `items` by `key`. */
export const countBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
};
