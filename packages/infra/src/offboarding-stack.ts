/**
 * `OffboardingStack`: Okta log stream -> partner bus -> rule -> SQS (+DLQ) -> worker Lambda, with the
 * ledger table and alarms. Configured by `OffboardConfig` (from CDK context in bin/app.ts).
 */
import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { ConfigError, type OffboardConfig, validateConfig } from "./config.ts";
import { DEFAULTS } from "./defaults.ts";
import { applyNagAcknowledgements } from "./nag-suppressions.ts";
import { OffboardingAlarms } from "./offboarding-alarms.ts";
import { OffboardingWorker } from "./offboarding-worker.ts";
import { OktaEventHookReceiver } from "./okta-event-hook.ts";
import { OktaEventIngest } from "./okta-event-ingest.ts";
import { OktaLogStream } from "./okta-log-stream.ts";
import { OktaSystemLogPoller } from "./okta-poller.ts";

export interface OffboardingStackProps extends StackProps {
  readonly config: OffboardConfig;
}

export class OffboardingStack extends Stack {
  public readonly config: OffboardConfig;
  /** The worker's secret (Slack, Jira, BambooHR, an optional Okta read-only credential): only the worker reads it. */
  public readonly workerSecret: secretsmanager.ISecret;
  /** The Okta admin secret: only the log-stream custom resource reads it. Undefined with `existingEventSourceName`. */
  public readonly oktaAdminSecret: secretsmanager.ISecret | undefined;
  /** Undefined when the stream is managed elsewhere (`existingEventSourceName`). */
  public readonly logStream: OktaLogStream | undefined;
  /** Undefined with source "poll" (no log stream). */
  public readonly partnerEventSourceName: string | undefined;
  public readonly ingest: OktaEventIngest;
  public readonly worker: OffboardingWorker;
  public readonly alarms: OffboardingAlarms;
  /** The System Log poller (source "poll" or "stream+poll"). */
  public readonly poller: OktaSystemLogPoller | undefined;
  /** The Event Hook receiver (when `eventHookSecretArn` is set). */
  public readonly eventHook: OktaEventHookReceiver | undefined;

  constructor(scope: Construct, id: string, props: OffboardingStackProps) {
    super(scope, id, {
      description: "offboard: Okta user lifecycle events to Slack, Jira and HRIS checks",
      ...props,
    });
    const config = validateConfig(props.config);
    this.config = config;
    this.workerSecret = secretsmanager.Secret.fromSecretCompleteArn(this, "Secret", config.secretArn);

    this.oktaAdminSecret =
      config.oktaAdminSecretArn === undefined
        ? undefined
        : secretsmanager.Secret.fromSecretCompleteArn(this, "OktaAdminSecret", config.oktaAdminSecretArn);
    /** The admin secret where an admin API is called; validateConfig names the key when it is missing. */
    const adminSecret = (what: string): secretsmanager.ISecret => {
      if (this.oktaAdminSecret === undefined) {
        throw new ConfigError(`oktaAdminSecretArn is required for ${what} (the Okta admin secret)`);
      }
      return this.oktaAdminSecret;
    };

    const source = config.source ?? "stream+poll";
    if (source === "poll") {
      this.logStream = undefined;
      this.partnerEventSourceName = undefined;
    } else if (config.existingEventSourceName !== undefined) {
      this.logStream = undefined;
      this.partnerEventSourceName = config.existingEventSourceName;
    } else {
      this.logStream = new OktaLogStream(this, "OktaLogStream", {
        oktaOrgUrl: config.oktaOrgUrl,
        ...(config.oktaCustomDomains === undefined ? {} : { customDomains: config.oktaCustomDomains }),
        ...(config.oktaOrgName === undefined ? {} : { oktaOrgName: config.oktaOrgName }),
        apiTokenSecret: adminSecret("the log stream custom resource"),
        name: config.logStreamName ?? DEFAULTS.logStreamName,
        eventSourceName: config.eventSourceName ?? DEFAULTS.eventSourceName,
      });
      this.partnerEventSourceName = this.logStream.partnerEventSourceName;
    }

    const workerTimeout = Duration.seconds(config.workerTimeoutSeconds ?? DEFAULTS.workerTimeout.toSeconds());
    this.ingest = new OktaEventIngest(this, "Ingest", {
      partnerEventSourceName: this.partnerEventSourceName,
      encryption: config.queueEncryption ?? "SQS_MANAGED",
      maxReceiveCount: config.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor),
      trustedSenders: (config.trustedSenderArns ?? "")
        .split(",")
        .map((a) => a.trim())
        .filter((a) => a.length > 0),
    });
    // Okta creates the partner event source when the stream is created; the bus can only follow it.
    if (this.logStream !== undefined) this.ingest.eventBus?.node.addDependency(this.logStream.customResource);

    this.worker = new OffboardingWorker(this, "Worker", {
      queue: this.ingest.queue,
      deadLetterQueue: this.ingest.deadLetterQueue,
      secret: this.workerSecret,
      timeout: workerTimeout,
      batchSize: config.batchSize ?? DEFAULTS.batchSize,
      maxConcurrency: config.maxConcurrency ?? DEFAULTS.maxConcurrency,
      // The worker trusts envelopes from this stack's own partner event source only.
      ...(this.partnerEventSourceName === undefined
        ? {}
        : { environment: { OFFBOARD_OKTA_SOURCE_PREFIX: this.partnerEventSourceName } }),
      settings: {
        oktaOrgUrl: config.oktaOrgUrl,
        ...(config.oktaCustomDomains === undefined ? {} : { oktaCustomDomains: config.oktaCustomDomains.join(",") }),
        ...pick(config, [
          "slackChannelId",
          "jiraBaseUrl",
          "jiraEmail",
          "jiraProjectKey",
          "jiraIssueType",
          "bambooHrCompanyDomain",
        ]),
      },
    });

    this.alarms = new OffboardingAlarms(this, "Alarms", {
      queue: this.ingest.queue,
      deadLetterQueue: this.ingest.deadLetterQueue,
      worker: this.worker.lambda.function,
      rule: this.ingest.rule,
      ...(config.alarmTopicArn === undefined
        ? {}
        : { topic: sns.Topic.fromTopicArn(this, "AlarmTopic", config.alarmTopicArn) }),
      ...(config.alarmEmail === undefined ? {} : { notificationEmails: [config.alarmEmail] }),
    });

    this.poller =
      source === "stream"
        ? undefined
        : new OktaSystemLogPoller(this, "Poller", {
            oktaOrgUrl: config.oktaOrgUrl,
            ...(config.oktaCustomDomains === undefined ? {} : { customDomains: config.oktaCustomDomains }),
            // The System Log read-only credential lives in the worker's secret, never the admin token.
            oktaSecret: this.workerSecret,
            queue: this.ingest.queue,
            ledgerTable: this.worker.ledgerTable,
            ...(this.logStream !== undefined
              ? { logStream: { id: this.logStream.logStreamId } }
              : source === "stream+poll"
                ? { logStream: { name: config.logStreamName ?? DEFAULTS.logStreamName } }
                : {}),
            ...(config.autoReactivateStream === "true"
              ? { autoReactivateWith: adminSecret("autoReactivateStream") }
              : {}),
            ...(this.alarms.topic !== undefined ? { alarmTopic: this.alarms.topic } : {}),
          });
    this.eventHook =
      config.eventHookSecretArn === undefined
        ? undefined
        : new OktaEventHookReceiver(this, "EventHook", {
            oktaOrgUrl: config.oktaOrgUrl,
            ...(config.oktaCustomDomains === undefined ? {} : { customDomains: config.oktaCustomDomains }),
            queue: this.ingest.queue,
            hookSecret: secretsmanager.Secret.fromSecretCompleteArn(this, "EventHookSecret", config.eventHookSecretArn),
            adminSecret: adminSecret("registering the Event Hook"),
            ...(this.alarms.topic !== undefined ? { alarmTopic: this.alarms.topic } : {}),
          });

    if (this.ingest.eventBus !== undefined) {
      new CfnOutput(this, "EventBusName", { value: this.ingest.eventBus.eventBusName });
    }
    if (this.eventHook !== undefined) new CfnOutput(this, "EventHookUrl", { value: this.eventHook.url });
    new CfnOutput(this, "QueueUrl", { value: this.ingest.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: this.ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, "LedgerTableName", { value: this.worker.ledgerTable.tableName });
    new CfnOutput(this, "WorkerFunctionName", { value: this.worker.lambda.function.functionName });
    if (this.logStream !== undefined) new CfnOutput(this, "OktaLogStreamId", { value: this.logStream.logStreamId });

    applyNagAcknowledgements(this);
  }
}

const pick = <T extends object, K extends keyof T>(o: T, keys: ReadonlyArray<K>): Partial<Pick<T, K>> => {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
};
