/**
 * The stack's `source` prop and offboard's own sources: the System Log poller (EventBridge Scheduler) and
 * the Event Hook receiver (Function URL + a custom resource that registers it in Okta). Synthesized without
 * bundling: the template is what matters.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ConfigError, configFromContext } from "../src/config.ts";
import {
  asArray,
  onlyResource,
  policyStatements,
  resourcesOfType,
  synthStack,
  unacknowledgedNagFindings,
} from "./stack.fixtures.ts";

const envOf = (fn: { Properties?: Record<string, unknown> }) =>
  ((fn.Properties?.Environment ?? { Variables: {} }) as { Variables: Record<string, unknown> }).Variables;

/** Every action granted to a role, with its resources, as "action resource" strings. */
const grantsOf = (s: ReturnType<typeof synthStack>, roleLogicalId: string) =>
  policyStatements(s.template)
    .filter(({ roles }) => JSON.stringify(roles).includes(roleLogicalId))
    .flatMap(({ statement }) => asArray(statement.Action))
    .sort();

describe('default source "stream+poll"', () => {
  const s = synthStack({}, { bundle: false });
  const poller = () => s.stack.poller!;
  const roleId = () => s.stack.getLogicalId(poller().handler.role.node.defaultChild as never);

  it("runs the poller every 5 minutes from EventBridge Scheduler, without retries", () => {
    const fnId = s.stack.getLogicalId(poller().handler.function.node.defaultChild as never);
    s.template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(5 minutes)",
      Target: Match.objectLike({
        Arn: { "Fn::GetAtt": [fnId, "Arn"] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
      }),
    });
  });

  it("watches the stack's log stream by id and keeps its checkpoint in the ledger table", () => {
    const [, fn] = resourcesOfType(s.template, "AWS::Lambda::Function").find(([id]) => id.startsWith("PollerHandler"))!;
    const env = envOf(fn);
    expect(env.OKTA_LOG_STREAM_ID).toEqual({ "Fn::GetAtt": [expect.stringMatching(/^OktaLogStream/), "LogStreamId"] });
    expect(env.OFFBOARD_LEDGER_TABLE).toEqual({ Ref: expect.stringMatching(/Ledger/) });
    expect(env.OKTA_MAX_REQUESTS_PER_MINUTE).toBe("25");
    expect(env.OKTA_AUTO_REACTIVATE).toBeUndefined();
  });

  it("grants the poller exactly: read the secret, get and put the checkpoint, send to the queue", () => {
    expect(grantsOf(s, roleId())).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "sqs:SendMessage",
      ].sort(),
    );
  });

  it("alarms when the log stream is inactive and when Okta deactivated it", () => {
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Offboard",
      MetricName: "LogStreamInactive",
      Statistic: "Maximum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Offboard",
      MetricName: "LogStreamDeactivations",
      Statistic: "Sum",
    });
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Invocations",
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
  });
});

describe('source "poll" (no Log Streaming)', () => {
  const s = synthStack({ source: "poll" }, { bundle: false });

  it("creates no log stream, partner bus or rule, but the queue, worker and poller", () => {
    expect(resourcesOfType(s.template, "Custom::OktaLogStream")).toEqual([]);
    expect(resourcesOfType(s.template, "AWS::Events::EventBus")).toEqual([]);
    expect(resourcesOfType(s.template, "AWS::Events::Rule")).toEqual([]);
    expect(resourcesOfType(s.template, "AWS::Scheduler::Schedule")).toHaveLength(1);
    expect(resourcesOfType(s.template, "AWS::SQS::Queue")).toHaveLength(2);
  });

  it("watches no stream, so it has no inactive-stream alarm", () => {
    const metrics = resourcesOfType(s.template, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties?.MetricName);
    expect(metrics).not.toContain("LogStreamInactive");
    expect(metrics).not.toContain("FailedInvocations");
  });

  it("reports no unacknowledged AwsSolutions finding", () => {
    expect(unacknowledgedNagFindings(s.app)).toEqual([]);
  });
});

describe('source "stream"', () => {
  const s = synthStack({ source: "stream" }, { bundle: false });

  it("has no poller and no schedule", () => {
    expect(s.stack.poller).toBeUndefined();
    expect(resourcesOfType(s.template, "AWS::Scheduler::Schedule")).toEqual([]);
  });
});

describe("opt-in re-activation", () => {
  const s = synthStack({ autoReactivateStream: "true" }, { bundle: false });

  it("passes the admin secret to the poller", () => {
    const [, fn] = resourcesOfType(s.template, "AWS::Lambda::Function").find(([id]) => id.startsWith("PollerHandler"))!;
    const env = envOf(fn);
    expect(env.OKTA_AUTO_REACTIVATE).toBe("true");
    expect(env.OKTA_ADMIN_SECRET_ARN).toBeDefined();
  });
});

describe("the Event Hook receiver (eventHookSecretArn)", () => {
  const hookSecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-hook-XyZ123";
  const s = synthStack({ eventHookSecretArn: hookSecretArn }, { bundle: false });
  const hook = () => s.stack.eventHook!;

  it("answers on a Function URL (Okta cannot sign requests: the header secret is the authentication)", () => {
    const [, url] = onlyResource(s.template, "AWS::Lambda::Url");
    expect(url.Properties?.AuthType).toBe("NONE");
    const [, fn] = resourcesOfType(s.template, "AWS::Lambda::Function").find(([id]) =>
      id.startsWith("EventHookReceiver"),
    )!;
    expect(fn.Properties?.Timeout).toBe(5);
    expect(envOf(fn)).toMatchObject({
      OKTA_EVENT_HOOK_SECRET_ARN: hookSecretArn,
      OKTA_EVENT_HOOK_HEADER: "Authorization",
    });
  });

  it("registers and verifies the hook in Okta for the handled event types, after the URL exists", () => {
    const [id, registration] = onlyResource(s.template, "Custom::OktaEventHook");
    expect(registration.Properties?.Uri).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/^EventHookReceiver.*Url/), "FunctionUrl"],
    });
    expect(String(registration.Properties?.EventTypes)).toContain("user.lifecycle.deactivate");
    expect(registration.DependsOn ?? []).toEqual(
      expect.arrayContaining([expect.stringMatching(/^EventHookReceiver.*Url/)]),
    );
    expect(id).toMatch(/^EventHookRegistration/);
  });

  it("lets the receiver only read its secret and send to the queue", () => {
    const roleId = s.stack.getLogicalId(hook().handler.role.node.defaultChild as never);
    expect(grantsOf(s, roleId)).toEqual(
      ["logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "sqs:SendMessage"].sort(),
    );
  });

  it("reports no unacknowledged AwsSolutions finding", () => {
    expect(unacknowledgedNagFindings(s.app)).toEqual([]);
  });
});

describe("the constructs on their own", () => {
  it("refuse an Okta org URL that would carry the credential over plain http or to another host", async () => {
    const { App, Stack } = await import("aws-cdk-lib");
    const sqs = await import("aws-cdk-lib/aws-sqs");
    const secretsmanager = await import("aws-cdk-lib/aws-secretsmanager");
    const { OktaEventHookReceiver } = await import("../src/okta-event-hook.ts");
    const stack = new Stack(new App(), "Guard");
    const queue = new sqs.Queue(stack, "Q");
    const hookSecret = secretsmanager.Secret.fromSecretNameV2(stack, "S", "hook");
    for (const oktaOrgUrl of ["http://acme.okta.com", "https://acme.evil.example"]) {
      expect(
        () => new OktaEventHookReceiver(stack, `H${oktaOrgUrl.length}`, { oktaOrgUrl, queue, hookSecret }),
      ).toThrow(/oktaOrgUrl/);
    }
  });
});

describe("configuration", () => {
  it("names a source it does not know", () => {
    expect(() =>
      configFromContext((k) => ({ "offboard:example": "true", source: "webhook" })[k] as string | undefined),
    ).toThrow(ConfigError);
  });
});
