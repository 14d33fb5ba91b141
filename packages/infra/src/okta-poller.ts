/**
 * `OktaSystemLogPoller`: a Lambda run by an EventBridge Scheduler schedule (default every 5 minutes) that
 * reads Okta's System Log from its checkpoint (kept in the ledger table), enqueues the lifecycle events
 * into the worker's queue with source `offboard.poller`, and watches the log stream's health. Alarms:
 * the stream is inactive, the stream was deactivated, the poller fails, the poller stopped running.
 * The handler lives in packages/handlers/src/poller/.
 */
import path from "node:path";
import { checkOktaOrgUrl } from "@offboard/core";
import { Duration, Token } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";
import { OffboardFunction, REPO_ROOT } from "./lambda.ts";

export const POLLER_ENTRY = path.join(REPO_ROOT, "packages/handlers/src/poller/handler.ts");

/** Defaults of the poller (kept here so the stack's defaults file stays another helper's). */
export const POLLER_DEFAULTS = {
  schedule: Duration.minutes(5),
  timeout: Duration.minutes(4),
  memorySize: 256,
  maxRequestsPerMinute: 25,
  initialLookbackHours: 24,
  maxPagesPerRun: 20,
  /** No run for this long means the schedule or the function is broken. */
  notRunningAfter: Duration.minutes(30),
  metricsNamespace: "Offboard",
} as const;

/**
 * Every AWS action the poller's role is granted, and why (the IAM test derives the SDK calls from the
 * handler's source and compares). Hand-written instead of grantRead/grantSendMessages: those add
 * DescribeSecret, GetQueueAttributes, GetQueueUrl and, on a KMS queue, kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey*.
 */
export const POLLER_ACTIONS = {
  /** handlers/poller/handler.ts: GetSecretValueCommand (the read credential; the admin secret to re-activate). */
  secret: ["secretsmanager:GetSecretValue"],
  /** adapters/okta/checkpoint-store.ts: GetItem (read the checkpoint), PutItem (conditional advance). */
  checkpoint: ["dynamodb:GetItem", "dynamodb:PutItem"],
  /** handlers/event-hook/envelope.ts (sqsEnqueue): SendMessageBatchCommand, authorised by sqs:SendMessage. */
  queue: ["sqs:SendMessage"],
  /** With a customer-managed queue key: SQS asks for a data key (and decrypts it) to encrypt what is sent. */
  queueKey: ["kms:Decrypt", "kms:GenerateDataKey"],
} as const;

export interface OktaSystemLogPollerProps {
  readonly oktaOrgUrl: string;
  /** Custom domains that may serve the org, besides Okta's own domains. */
  readonly customDomains?: ReadonlyArray<string>;
  /** JSON secret with the read credential: OKTA_API_TOKEN, or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY. */
  readonly oktaSecret: secretsmanager.ISecret;
  /** The worker's queue. */
  readonly queue: sqs.IQueue;
  /** The ledger table: the checkpoint lives there (`pk = poller#<org>`). */
  readonly ledgerTable: Pick<dynamodb.ITable, "tableName" | "tableArn">;
  /** @default 5 minutes */
  readonly schedule?: Duration;
  /** The log stream to watch (its id, or its name); none when the org uses polling only. */
  readonly logStream?: { readonly id?: string; readonly name?: string };
  /** Re-activate an inactive stream with this admin secret (JSON key OKTA_API_TOKEN). @default off */
  readonly autoReactivateWith?: secretsmanager.ISecret;
  /** @default 25 */
  readonly maxRequestsPerMinute?: number;
  /** How far back the first run reads. @default 24 */
  readonly initialLookbackHours?: number;
  /** Alarm notifications. */
  readonly alarmTopic?: sns.ITopic;
  readonly logRetention?: logs.RetentionDays;
}

export class OktaSystemLogPoller extends Construct {
  public readonly handler: OffboardFunction;
  public readonly schedule: scheduler.Schedule;
  public readonly pollerErrorsAlarm: cloudwatch.Alarm;
  public readonly pollerNotRunningAlarm: cloudwatch.Alarm;
  /** Only when a log stream is watched. */
  public readonly logStreamInactiveAlarm: cloudwatch.Alarm | undefined;
  public readonly logStreamDeactivatedAlarm: cloudwatch.Alarm;
  public readonly alarms: ReadonlyArray<cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: OktaSystemLogPollerProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.oktaOrgUrl)) {
      const checked = checkOktaOrgUrl(props.oktaOrgUrl, { customDomains: props.customDomains ?? [] });
      if (!checked.ok) throw new Error(`oktaOrgUrl: ${checked.message}`);
    }
    const every = props.schedule ?? POLLER_DEFAULTS.schedule;
    if (every.toMinutes() < 1) throw new Error("the poller's schedule must be at least one minute");
    const cap = props.maxRequestsPerMinute ?? POLLER_DEFAULTS.maxRequestsPerMinute;
    if (!Number.isInteger(cap) || cap < 1 || cap > 600) {
      throw new Error(`maxRequestsPerMinute must be a whole number from 1 to 600, got ${cap}`);
    }
    const watched = props.logStream?.id !== undefined || props.logStream?.name !== undefined;
    this.handler = new OffboardFunction(this, "Handler", {
      entry: POLLER_ENTRY,
      description: "offboard: polls Okta's System Log and watches the log stream",
      timeout: POLLER_DEFAULTS.timeout,
      memorySize: POLLER_DEFAULTS.memorySize,
      logRetention: props.logRetention ?? DEFAULTS.logRetention,
      environment: {
        OKTA_ORG_URL: props.oktaOrgUrl,
        ...(props.customDomains !== undefined && props.customDomains.length > 0
          ? { OKTA_CUSTOM_DOMAINS: props.customDomains.join(",") }
          : {}),
        OKTA_SECRET_ARN: props.oktaSecret.secretArn,
        OFFBOARD_LEDGER_TABLE: props.ledgerTable.tableName,
        OFFBOARD_QUEUE_URL: props.queue.queueUrl,
        OKTA_MAX_REQUESTS_PER_MINUTE: String(cap),
        POLLER_INITIAL_LOOKBACK_HOURS: String(props.initialLookbackHours ?? POLLER_DEFAULTS.initialLookbackHours),
        POLLER_MAX_PAGES: String(POLLER_DEFAULTS.maxPagesPerRun),
        POWERTOOLS_METRICS_NAMESPACE: POLLER_DEFAULTS.metricsNamespace,
        ...(props.logStream?.id !== undefined ? { OKTA_LOG_STREAM_ID: props.logStream.id } : {}),
        ...(props.logStream?.name !== undefined ? { OKTA_LOG_STREAM_NAME: props.logStream.name } : {}),
        ...(props.autoReactivateWith !== undefined
          ? { OKTA_AUTO_REACTIVATE: "true", OKTA_ADMIN_SECRET_ARN: props.autoReactivateWith.secretArn }
          : {}),
      },
    });
    const fn = this.handler.function;
    const allow = (granted: ReadonlyArray<string>, resource: string) =>
      iam.Grant.addToPrincipal({ grantee: fn, actions: [...granted], resourceArns: [resource] });
    for (const secret of [props.oktaSecret, props.autoReactivateWith]) {
      if (secret === undefined) continue;
      allow(POLLER_ACTIONS.secret, secret.secretArn);
      secret.encryptionKey?.grantDecrypt(fn);
    }
    allow(POLLER_ACTIONS.queue, props.queue.queueArn);
    if (props.queue.encryptionMasterKey !== undefined) {
      allow(POLLER_ACTIONS.queueKey, props.queue.encryptionMasterKey.keyArn);
    }
    allow(POLLER_ACTIONS.checkpoint, props.ledgerTable.tableArn);

    this.schedule = new scheduler.Schedule(this, "Schedule", {
      schedule: scheduler.ScheduleExpression.rate(every),
      description: `offboard: poll Okta's System Log every ${every.toHumanString()}`,
      // A missed run is made up by the next one (it reads everything since the checkpoint): no retries.
      target: new schedulerTargets.LambdaInvoke(fn, { retryAttempts: 0, maxEventAge: every }),
    });

    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: POLLER_DEFAULTS.metricsNamespace,
        metricName,
        statistic,
        period: every.toMinutes() < 5 ? Duration.minutes(5) : every,
      });
    const alarm = (alarmId: string, a: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, a);
      if (props.alarmTopic !== undefined) {
        created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        created.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
      return created;
    };
    this.pollerErrorsAlarm = alarm("PollerErrors", {
      alarmDescription:
        "offboard: the System Log poller failed (Okta unreachable, credential refused, queue or table unavailable). Runbook: docs/operations.md (poller).",
      metric: fn.metricErrors({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.pollerNotRunningAlarm = alarm("PollerNotRunning", {
      alarmDescription: `offboard: the System Log poller has not run for ${POLLER_DEFAULTS.notRunningAfter.toHumanString()}. Runbook: docs/operations.md (poller).`,
      metric: fn.metricInvocations({ period: POLLER_DEFAULTS.notRunningAfter, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.logStreamDeactivatedAlarm = alarm("LogStreamDeactivated", {
      alarmDescription:
        "offboard: Okta deactivated a log stream (system.log_stream.lifecycle.deactivate). The poller backfills the gap; re-activate the stream. Runbook: docs/operations.md (inactive log stream).",
      metric: metric("LogStreamDeactivations", cloudwatch.Stats.SUM),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.logStreamInactiveAlarm = watched
      ? alarm("LogStreamInactive", {
          alarmDescription:
            "offboard: the Okta log stream is INACTIVE (or missing). Events still arrive through the poller, minutes late; re-activate the stream in Okta (Reports > Log Streaming). Runbook: docs/operations.md (inactive log stream).",
          metric: metric("LogStreamInactive", cloudwatch.Stats.MAXIMUM),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
      : undefined;
    this.alarms = [
      this.pollerErrorsAlarm,
      this.pollerNotRunningAlarm,
      this.logStreamDeactivatedAlarm,
      ...(this.logStreamInactiveAlarm !== undefined ? [this.logStreamInactiveAlarm] : []),
    ];
  }
}
