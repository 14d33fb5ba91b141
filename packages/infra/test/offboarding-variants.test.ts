/**
 * Configurations other than the default, synthesized without bundling (the template is what matters):
 * KMS encryption, a created or existing alarm topic, a log stream managed elsewhere, custom redrive,
 * plus the guards that turn a wrong configuration into a clear error.
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { ConfigError, configFromContext } from "../src/config.ts";
import { OffboardingWorker } from "../src/offboarding-worker.ts";
import { OktaEventIngest } from "../src/okta-event-ingest.ts";
import { OktaLogStream, oktaOrgNameFromUrl } from "../src/okta-log-stream.ts";
import {
  asArray,
  onlyResource,
  policyStatements,
  resourcesOfType,
  synthStack,
  unacknowledgedNagFindings,
} from "./stack.fixtures.ts";

describe("with queueEncryption=KMS and an alarm e-mail", () => {
  const s = synthStack({ queueEncryption: "KMS", alarmEmail: "security@example.com" }, { bundle: false });

  it("encrypts both queues with one rotating customer-managed key", () => {
    const keys = resourcesOfType(s.template, "AWS::KMS::Key").filter(([id]) => id.startsWith("Ingest"));
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0]!;

    expect(key.Properties?.EnableKeyRotation).toBe(true);
    for (const [, q] of resourcesOfType(s.template, "AWS::SQS::Queue")) {
      expect(q.Properties?.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [keyId, "Arn"] });
    }
  });

  it("lets EventBridge use the key so failed deliveries can still be written to the DLQ", () => {
    s.template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "events.amazonaws.com" },
            Action: Match.arrayWith(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]),
          }),
        ]),
      },
    });
  });

  it("grants no role a wildcard action, not even for the queue key, and has no unacknowledged finding", () => {
    // Every grant on the queue key is hand-written (kms:Decrypt, kms:GenerateDataKey): the worker's, the
    // poller's and the event hook receiver's.
    const wildcardActions = policyStatements(s.template).flatMap(({ statement }) =>
      asArray(statement.Action).filter((a) => a.includes("*")),
    );

    expect(wildcardActions).toEqual([]);
    expect(unacknowledgedNagFindings(s.app)).toEqual([]);
  });

  it("notifies an encrypted, TLS-only topic with the e-mail subscribed, on alarm and on recovery", () => {
    const [topicId, topic] = onlyResource(s.template, "AWS::SNS::Topic");

    expect(topic.Properties?.KmsMasterKeyId).toBeDefined();
    s.template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "security@example.com" });
    s.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    for (const [, alarm] of resourcesOfType(s.template, "AWS::CloudWatch::Alarm")) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.OKActions).toEqual([{ Ref: topicId }]);
    }
  });
});

describe("with a log stream created elsewhere (existingEventSourceName)", () => {
  const s = synthStack(
    {
      existingEventSourceName: "aws.partner/okta.com/example/terraform",
      alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:ops",
    },
    { bundle: false },
  );

  it("creates no custom resource and attaches the bus to the given event source", () => {
    expect(resourcesOfType(s.template, "Custom::OktaLogStream")).toEqual([]);
    // The worker and the System Log poller (default source "stream+poll"); no log-stream handler.
    expect(resourcesOfType(s.template, "AWS::Lambda::Function")).toHaveLength(2);
    s.template.hasResourceProperties("AWS::Events::EventBus", {
      Name: "aws.partner/okta.com/example/terraform",
      EventSourceName: "aws.partner/okta.com/example/terraform",
    });
  });

  it("sends alarm notifications to the existing topic", () => {
    for (const [, alarm] of resourcesOfType(s.template, "AWS::CloudWatch::Alarm")) {
      expect(alarm.Properties?.AlarmActions).toEqual(["arn:aws:sns:us-east-1:123456789012:ops"]);
    }
  });

  it("reports no unacknowledged AwsSolutions finding", () => {
    expect(unacknowledgedNagFindings(s.app)).toEqual([]);
  });
});

describe("tunable delivery", () => {
  it("uses the configured maxReceiveCount, batch size, concurrency and worker timeout", () => {
    const s = synthStack(
      { maxReceiveCount: 3, batchSize: 5, maxConcurrency: 20, workerTimeoutSeconds: 120 },
      { bundle: false },
    );

    s.template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
      VisibilityTimeout: 720,
    });
    s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    s.template.hasResourceProperties("AWS::Lambda::Function", { Timeout: 120, Runtime: "nodejs22.x" });
  });

  it("refuses a queue whose visibility timeout is shorter than 6x the worker timeout", () => {
    const stack = new Stack(new App(), "Guard");
    const queue = new sqs.Queue(stack, "Queue", { visibilityTimeout: Duration.seconds(100) });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      "S",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
    );

    expect(
      () => new OffboardingWorker(stack, "W", { queue, deadLetterQueue: queue, secret, timeout: Duration.seconds(30) }),
    ).toThrow(/at least 6x the worker timeout \(30 s = 180 s\)/);
  });

  it("refuses a partner event source that is not Okta's", () => {
    const stack = new Stack(new App(), "Guard");

    expect(() => new OktaEventIngest(stack, "I", { partnerEventSourceName: "aws.partner/other.com/x/y" })).toThrow(
      /must start with aws.partner\/okta.com\//,
    );
  });
});

describe("OktaLogStream", () => {
  const secretIn = (stack: Stack) =>
    secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      "S",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
    );

  it("derives the org name from the org URL, or takes it explicitly for a custom domain", () => {
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "LS", {
      env: { account: "123456789012", region: "eu-west-1" },
    });
    const secret = secretIn(stack);
    const derived = new OktaLogStream(stack, "A", { oktaOrgUrl: "https://acme.okta.com", apiTokenSecret: secret });
    const custom = new OktaLogStream(stack, "B", {
      oktaOrgUrl: "https://login.acme.com",
      customDomains: ["login.acme.com"],
      oktaOrgName: "acme",
      apiTokenSecret: secret,
      name: "offboard-b",
      eventSourceName: "b",
    });

    expect(derived.partnerEventSourceName).toBe("aws.partner/okta.com/acme/offboard");
    expect(custom.partnerEventSourceName).toBe("aws.partner/okta.com/acme/b");
    expect(oktaOrgNameFromUrl("https://acme.oktapreview.com")).toBe("acme");
    Template.fromStack(stack).hasResourceProperties("Custom::OktaLogStream", {
      Region: "eu-west-1",
      Name: "offboard-b",
      CustomDomains: "login.acme.com",
    });
  });

  it.each([
    ["plain http", "http://acme.okta.com", /must be https/],
    ["a host that is not an Okta org domain", "https://okta.example.com", /not an Okta org domain/],
    ["a look-alike of an Okta domain", "https://acme.okta.com.example.net", /not an Okta org domain/],
    ["credentials in the URL", "https://user:pw@acme.okta.com", /must not carry credentials/],
    ["text that is not a URL", "acme.okta.com", /not a URL/],
  ])("refuses %s as the org URL the admin token is sent to", (_name, oktaOrgUrl, message) => {
    const stack = new Stack(new App(), "LS");

    expect(() => new OktaLogStream(stack, "A", { oktaOrgUrl, apiTokenSecret: secretIn(stack) })).toThrow(message);
  });

  it.each([
    "https://acme.okta.com",
    "https://acme.oktapreview.com",
    "https://acme.okta-emea.com",
    "https://acme.okta-gov.com",
    "https://acme.okta.mil",
  ])("accepts the Okta org domain of %s", (oktaOrgUrl) => {
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "LS");

    expect(new OktaLogStream(stack, "A", { oktaOrgUrl, apiTokenSecret: secretIn(stack) }).partnerEventSourceName).toBe(
      "aws.partner/okta.com/acme/offboard",
    );
  });

  it("accepts a custom domain only when it is declared, and then only with the org name", () => {
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "LS");
    const secret = secretIn(stack);

    expect(
      () => new OktaLogStream(stack, "A", { oktaOrgUrl: "https://login.acme.com", apiTokenSecret: secret }),
    ).toThrow(/not an Okta org domain/);
    expect(
      () =>
        new OktaLogStream(stack, "B", {
          oktaOrgUrl: "https://login.acme.com",
          customDomains: ["login.other.com"],
          oktaOrgName: "acme",
          apiTokenSecret: secret,
        }),
    ).toThrow(/not an Okta org domain/);
    expect(
      () =>
        new OktaLogStream(stack, "C", {
          oktaOrgUrl: "https://login.acme.com",
          customDomains: ["login.acme.com"],
          apiTokenSecret: secret,
        }),
    ).toThrow(/oktaOrgName is required/);
  });

  it("accepts plain http only to a loopback host (local fakes)", () => {
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "LS");

    expect(
      new OktaLogStream(stack, "A", {
        oktaOrgUrl: "http://127.0.0.1:8443",
        oktaOrgName: "acme",
        apiTokenSecret: secretIn(stack),
      }).partnerEventSourceName,
    ).toBe("aws.partner/okta.com/acme/offboard");
  });

  it("rejects an event source name Okta would refuse, before deploying", () => {
    const stack = new Stack(new App(), "LS");

    expect(
      () =>
        new OktaLogStream(stack, "A", {
          oktaOrgUrl: "https://acme.okta.com",
          apiTokenSecret: secretIn(stack),
          eventSourceName: "no spaces",
        }),
    ).toThrow(/eventSourceName must be 1-75/);
  });
});

describe("configuration from CDK context", () => {
  const contextOf = (values: Record<string, unknown>) => (key: string) => values[key];
  const REQUIRED = {
    oktaOrgUrl: "https://acme.okta.com",
    secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
    oktaAdminSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl",
  };

  it("names every missing required key", () => {
    const error = (() => {
      try {
        configFromContext(contextOf({}));
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain("oktaOrgUrl is required");
    expect(String(error)).toContain("secretArn is required");
    expect(String(error)).toContain("oktaAdminSecretArn is required");
  });

  it("rejects a secret ARN without its 6-character suffix", () => {
    expect(() =>
      configFromContext(
        contextOf({
          oktaOrgUrl: "https://acme.okta.com",
          secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard",
        }),
      ),
    ).toThrow(/complete Secrets Manager ARN/);
  });

  it("reads numbers given as -c strings and keeps unset optional keys out", () => {
    const config = configFromContext(contextOf({ ...REQUIRED, maxReceiveCount: "3" }));

    expect(config).toEqual({ ...REQUIRED, maxReceiveCount: 3 });
  });

  it.each([
    ["plain http", "http://acme.okta.com", "oktaOrgUrl: Okta org URL must be https"],
    ["a host that is not an Okta org domain", "https://okta.example.com", "-c oktaCustomDomains=<host>"],
  ])("refuses %s as the Okta org URL, naming the key", (_name, oktaOrgUrl, message) => {
    expect(() => configFromContext(contextOf({ ...REQUIRED, oktaOrgUrl }))).toThrow(message);
  });

  it("accepts a custom domain declared with oktaCustomDomains, and gives the worker OKTA_CUSTOM_DOMAINS", () => {
    const config = configFromContext(
      contextOf({
        ...REQUIRED,
        oktaOrgUrl: "https://login.acme.com",
        oktaCustomDomains: "login.acme.com, sso.acme.com",
        oktaOrgName: "acme",
      }),
    );
    const { stack, template } = synthStack(config, { bundle: false });

    expect(config.oktaCustomDomains).toEqual(["login.acme.com", "sso.acme.com"]);
    expect(stack.partnerEventSourceName).toBe("aws.partner/okta.com/acme/offboard");
    template.hasResourceProperties("Custom::OktaLogStream", { CustomDomains: "login.acme.com,sso.acme.com" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ OKTA_CUSTOM_DOMAINS: "login.acme.com,sso.acme.com" }) },
    });
  });

  it("refuses one secret for the worker and the Okta admin token", () => {
    expect(() => configFromContext(contextOf({ ...REQUIRED, oktaAdminSecretArn: REQUIRED.secretArn }))).toThrow(
      /oktaAdminSecretArn must be a different secret from secretArn/,
    );
  });

  it("needs no Okta admin secret when the log stream is managed elsewhere", () => {
    const { oktaAdminSecretArn: _, ...withoutAdmin } = REQUIRED;
    const config = configFromContext(
      contextOf({ ...withoutAdmin, existingEventSourceName: "aws.partner/okta.com/acme/terraform" }),
    );

    expect(config.oktaAdminSecretArn).toBeUndefined();
  });

  it("fills example values only when offboard:example=true", () => {
    const config = configFromContext(contextOf({ "offboard:example": "true", oktaOrgUrl: "https://acme.okta.com" }));

    expect(config.oktaOrgUrl).toBe("https://acme.okta.com");
    expect(config.secretArn).toMatch(/^arn:aws:secretsmanager:/);
  });
});
