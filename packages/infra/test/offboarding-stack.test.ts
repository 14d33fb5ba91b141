/**
 * The default OffboardingStack, synthesized once with real esbuild bundling, checked on what users rely
 * on: the rule selects exactly core's catalogue, nothing is lost (redrive, target DLQ, retention),
 * encryption and TLS, batch item failures, visibility timeout, least privilege, and zero cdk-nag findings.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { oktaEventPattern } from "@offboard/core";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  asArray,
  assetDirOf,
  onlyResource,
  policyStatements,
  resourcesOfType,
  type Synthesized,
  synthStack,
  unacknowledgedNagFindings,
} from "./stack.fixtures.ts";

let s: Synthesized;
beforeAll(() => {
  s = synthStack();
}, 120_000);

const ref = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });
const queueId = () => s.stack.getLogicalId(s.stack.ingest.queue.node.defaultChild as never);
const dlqId = () => s.stack.getLogicalId(s.stack.ingest.deadLetterQueue.node.defaultChild as never);

describe("event routing", () => {
  it("matches exactly the event pattern of core's catalogue", () => {
    const [, rule] = onlyResource(s.template, "AWS::Events::Rule");

    expect(rule.Properties?.EventPattern).toEqual(oktaEventPattern());
  });

  it("puts the rule on the partner bus named after the Okta org and event source", () => {
    const [busId, bus] = onlyResource(s.template, "AWS::Events::EventBus");
    const [, rule] = onlyResource(s.template, "AWS::Events::Rule");

    expect(bus.Properties).toEqual({
      Name: "aws.partner/okta.com/example/offboard",
      EventSourceName: "aws.partner/okta.com/example/offboard",
    });
    expect(rule.Properties?.EventBusName).toEqual({ Ref: busId });
  });

  it("creates the partner bus only after the Okta log stream exists", () => {
    const [crId] = onlyResource(s.template, "Custom::OktaLogStream");
    const [, bus] = onlyResource(s.template, "AWS::Events::EventBus");

    expect(bus.DependsOn).toContain(crId);
  });

  it("sends events the rule cannot deliver to the DLQ instead of dropping them", () => {
    const [, rule] = onlyResource(s.template, "AWS::Events::Rule");

    expect(rule.Properties?.Targets).toEqual([
      expect.objectContaining({
        Arn: ref(queueId()),
        DeadLetterConfig: { Arn: ref(dlqId()) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      }),
    ]);
  });

  it("passes the Okta org, the Okta admin secret, name and event source to the log stream custom resource", () => {
    s.template.hasResourceProperties("Custom::OktaLogStream", {
      OktaOrgUrl: "https://example.okta.com",
      SecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl",
      SecretKey: "OKTA_API_TOKEN",
      Name: "offboard",
      AccountId: "123456789012",
      Region: "us-east-1",
      EventSourceName: "offboard",
    });
  });
});

describe("queues", () => {
  it("moves a message to the DLQ after the default 5 receives", () => {
    s.template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: { deadLetterTargetArn: ref(dlqId()), maxReceiveCount: 5 },
    });
  });

  it("encrypts both queues and keeps messages for 14 days", () => {
    const queues = resourcesOfType(s.template, "AWS::SQS::Queue");

    expect(queues).toHaveLength(2);
    for (const [, q] of queues) {
      expect(q.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
  });

  it("denies every non-TLS request on both queues", () => {
    for (const id of [queueId(), dlqId()]) {
      s.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Deny",
              Action: "sqs:*",
              Principal: { AWS: "*" },
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
          ]),
        },
      });
    }
  });

  it("lets only the rule (and the account root) send to the queue", () => {
    const [ruleId] = onlyResource(s.template, "AWS::Events::Rule");
    s.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "OnlyTheRuleAndOffboardSend",
            Effect: "Deny",
            Action: "sqs:SendMessage",
            Principal: { AWS: "*" },
            Condition: {
              ArnNotEquals: { "aws:SourceArn": ref(ruleId) },
              ArnNotLike: { "aws:PrincipalArn": [Match.anyValue()] },
            },
          }),
        ]),
      },
    });
  });

  it("sets the queue's visibility timeout to at least 6x the worker's timeout", () => {
    const [, fn] = onlyResource(s.template, "AWS::Lambda::EventSourceMapping");
    const worker = resourcesOfType(s.template, "AWS::Lambda::Function").find(
      ([id]) => fn.Properties?.FunctionName && JSON.stringify(fn.Properties.FunctionName).includes(id),
    );
    const queue = resourcesOfType(s.template, "AWS::SQS::Queue").find(([id]) => id === queueId());

    const timeout = Number(worker?.[1].Properties?.Timeout);
    expect(timeout).toBe(60);
    expect(Number(queue?.[1].Properties?.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeout);
  });
});

describe("worker", () => {
  it("reports batch item failures so one bad record does not redeliver the batch", () => {
    s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: ref(queueId()),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it("runs bundled Node.js 22 on ARM64 with source maps and an explicit log group with retention", () => {
    const [logGroupId, logGroup] = resourcesOfType(s.template, "AWS::Logs::LogGroup").find(([id]) =>
      id.startsWith("Worker"),
    )!;

    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: "--enable-source-maps" }) },
    });
    expect(logGroup.Properties?.RetentionInDays).toBe(90);
  });

  it("gets every environment variable the adapters read", () => {
    const [tableId] = onlyResource(s.template, "AWS::DynamoDB::Table");

    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          OFFBOARD_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
          OFFBOARD_LEDGER_TABLE: { Ref: tableId },
          OFFBOARD_DLQ_URL: { Ref: dlqId() },
          SLACK_CHANNEL_ID: "C0123456789",
          JIRA_BASE_URL: "https://example.atlassian.net",
          JIRA_EMAIL: "offboard-bot@example.com",
          JIRA_PROJECT_KEY: "IT",
          JIRA_ISSUE_TYPE: "Task",
          BAMBOOHR_COMPANY_DOMAIN: "example",
          OKTA_ORG_URL: "https://example.okta.com",
          POWERTOOLS_SERVICE_NAME: "offboard",
          POWERTOOLS_METRICS_NAMESPACE: "Offboard",
        }),
      },
    });
  });

  it("keeps the ledger on demand, with TTL on expiresAt and point-in-time recovery, retained on delete", () => {
    s.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });
});

const statements = () => policyStatements(s.template).map(({ policyId, statement }) => [policyId, statement] as const);

describe("IAM", () => {
  it("grants no wildcard action", () => {
    const wildcards = statements().flatMap(([, st]) => asArray(st.Action).filter((a) => a.includes("*")));

    expect(wildcards).toEqual([]);
  });

  it("uses a wildcard resource only for a framework or schedule invoking its own function's versions", () => {
    const wildcardResources = statements().flatMap(([id, st]) =>
      asArray(st.Resource)
        .filter((r) => JSON.stringify(r).includes("*"))
        .map((r) => `${id}: ${JSON.stringify(r)} (${asArray(st.Action).join(",")})`),
    );
    const handlerId = s.stack.getLogicalId(s.stack.logStream!.handler.function.node.defaultChild as never);
    const pollerId = s.stack.getLogicalId(s.stack.poller!.handler.function.node.defaultChild as never);

    expect(wildcardResources).toEqual([
      expect.stringMatching(
        new RegExp(`^OktaLogStreamFrameworkRole.*${handlerId}.*:\\*.*\\(lambda:InvokeFunction\\)$`),
      ),
      expect.stringMatching(new RegExp(`^SchedulerRoleForTarget.*${pollerId}.*:\\*.*\\(lambda:InvokeFunction\\)$`)),
    ]);
  });

  it("attaches no AWS managed policy to any role", () => {
    for (const [, role] of resourcesOfType(s.template, "AWS::IAM::Role")) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });
  // Every statement of every role is pinned in iam.test.ts.
});

describe("alarms", () => {
  it("alarms when the DLQ has any visible message", () => {
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [dlqId(), "QueueName"] } }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it("alarms on oldest message age, worker errors and throttles, rule target failures, and the poller and log stream", () => {
    const metrics = resourcesOfType(s.template, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties?.MetricName);

    expect(metrics.sort()).toEqual(
      [
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "EventsSinkInactive",
        "FailedInvocations",
        "InvocationsFailedToBeSentToDlq",
        "Throttles",
        // The System Log poller (default source "stream+poll"): its errors, that it runs, the stream's health.
        "Errors",
        "Invocations",
        "LogStreamDeactivations",
        "LogStreamInactive",
      ].sort(),
    );
  });
});

describe("bundling", () => {
  const logicalIdOf = (c: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(c.node.defaultChild as never);

  it("bundles the log-stream handler, leaving the AWS SDK to the runtime, into an ESM file that loads and runs on Node", async () => {
    const dir = assetDirOf(s, logicalIdOf(s.stack.logStream!.handler.function));
    const code = readFileSync(path.join(dir, "index.mjs"), "utf8");
    const bundled = (await import(pathToFileURL(path.join(dir, "index.mjs")).href)) as {
      handler: (event: unknown) => Promise<unknown>;
    };

    // The nodejs22.x runtime provides the AWS SDK v3: it stays an import, not bundled code.
    expect(code).toMatch(/["']@aws-sdk\/client-secrets-manager["']/);
    expect(code).not.toContain("SecretsManagerServiceException");
    expect(existsSync(path.join(dir, "index.mjs.map"))).toBe(true);
    // A Delete for a resource whose Create failed: answered without calling AWS or Okta.
    await expect(
      bundled.handler({
        RequestType: "Delete",
        PhysicalResourceId: "7d1c0f9e-3b0a-4c55-8a43-0d1f7b2a9e10",
        ResourceProperties: {},
      }),
    ).resolves.toEqual({ PhysicalResourceId: "7d1c0f9e-3b0a-4c55-8a43-0d1f7b2a9e10" });
  });

  it("bundles the worker with a source map and leaves better-sqlite3 out", () => {
    const dir = assetDirOf(s, logicalIdOf(s.stack.worker.lambda.function));
    const code = readFileSync(path.join(dir, "index.mjs"), "utf8");

    expect(existsSync(path.join(dir, "index.mjs.map"))).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*handler/);
    // better-sqlite3 is external (native, CLI-only): the bundle may load it lazily, never import it statically.
    expect(code).not.toMatch(/import[^()]*?from\s*["']better-sqlite3["']|import\s*["']better-sqlite3["']/);
  });

  it("splits the worker: each vendor's client is a chunk of its own that the entry only imports dynamically", () => {
    const dir = assetDirOf(s, logicalIdOf(s.stack.worker.lambda.function));
    const entry = readFileSync(path.join(dir, "index.mjs"), "utf8");
    const chunks = readdirSync(path.join(dir, "chunks")).filter((f) => f.endsWith(".mjs"));
    const chunkText = (needle: string) =>
      chunks.filter((f) => readFileSync(path.join(dir, "chunks", f), "utf8").includes(needle));

    // jira.js and @slack/web-api are in chunks reached only through import("./chunks/…").
    const jiraChunks = chunkText("/rest/api/3/");
    const slackChunks = chunkText("slack_webapi_platform_error");
    expect(jiraChunks.length).toBeGreaterThan(0);
    expect(slackChunks.length).toBeGreaterThan(0);
    for (const chunk of [...jiraChunks, ...slackChunks]) {
      expect(entry).toContain(`import("./chunks/${chunk}")`);
      expect(entry).not.toMatch(new RegExp(`from\\s*["']\\./chunks/${chunk.replace(".", "\\.")}["']`));
    }
    expect(entry).not.toContain("zod");
  });
});

describe("cdk-nag", () => {
  it("reports no unacknowledged AwsSolutions finding", () => {
    expect(unacknowledgedNagFindings(s.app)).toEqual([]);
  });
});
