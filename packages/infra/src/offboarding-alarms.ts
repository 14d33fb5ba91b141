/**
 * `OffboardingAlarms`: the signals that something is being kept rather than processed, or not arriving.
 * - DLQ has visible messages (> 0): a record was rejected or failed too often; someone must look.
 * - Oldest message on the main queue is too old: the worker is stuck or too slow.
 * - Worker errors and throttles (> 0).
 * - Rule target failures: EventBridge could not deliver to the queue (the event went to the DLQ or, if
 *   that failed too, is lost: `InvocationsFailedToBeSentToDlq`).
 * Notifications go to an existing SNS topic, a created one, or nowhere (alarms still show in the console).
 */
import type { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";

export interface OffboardingAlarmsProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly worker: lambda.IFunction;
  /** The partner-bus rule; absent when the stack has no log stream (source "poll"). */
  readonly rule?: events.IRule | undefined;
  /** Send alarm and OK notifications to this topic. */
  readonly topic?: sns.ITopic;
  /** Create an encrypted topic (when `topic` is not given). @default false */
  readonly createTopic?: boolean;
  /** E-mail addresses subscribed to the created topic. */
  readonly notificationEmails?: ReadonlyArray<string>;
  /** @default 15 minutes */
  readonly oldestMessageAgeThreshold?: Duration;
  /** @default 5 minutes */
  readonly period?: Duration;
}

export class OffboardingAlarms extends Construct {
  public readonly deadLetterQueueAlarm: cloudwatch.Alarm;
  public readonly oldestMessageAlarm: cloudwatch.Alarm;
  public readonly workerErrorsAlarm: cloudwatch.Alarm;
  public readonly workerThrottlesAlarm: cloudwatch.Alarm;
  public readonly ruleFailedInvocationsAlarm: cloudwatch.Alarm | undefined;
  public readonly ruleDlqFailuresAlarm: cloudwatch.Alarm | undefined;
  /** Routed events whose route names a sink that is not configured (retried, then dead-lettered). */
  public readonly sinkInactiveAlarm: cloudwatch.Alarm;
  public readonly alarms: ReadonlyArray<cloudwatch.Alarm>;
  /** The topic notified, if any. */
  public readonly topic: sns.ITopic | undefined;
  /** The key of the created topic, if one was created. */
  public readonly topicKey: kms.Key | undefined;

  constructor(scope: Construct, id: string, props: OffboardingAlarmsProps) {
    super(scope, id);
    const period = props.period ?? DEFAULTS.alarmPeriod;
    const maxOverPeriod = { period, statistic: cloudwatch.Stats.MAXIMUM };
    const sumOverPeriod = { period, statistic: cloudwatch.Stats.SUM };
    const atLeastOne = {
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };

    this.deadLetterQueueAlarm = new cloudwatch.Alarm(this, "DeadLetterQueueNotEmpty", {
      ...atLeastOne,
      alarmDescription:
        "offboard: the DLQ holds messages (rejected records or EventBridge delivery failures). Runbook: docs/operations.md (DLQ runbook).",
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maxOverPeriod),
    });
    const ageThreshold = props.oldestMessageAgeThreshold ?? DEFAULTS.oldestMessageAgeThreshold;
    this.oldestMessageAlarm = new cloudwatch.Alarm(this, "OldestMessageTooOld", {
      alarmDescription: `offboard: a message has waited more than ${ageThreshold.toHumanString()} on the queue: the worker is failing or too slow.`,
      metric: props.queue.metricApproximateAgeOfOldestMessage(maxOverPeriod),
      threshold: ageThreshold.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.workerErrorsAlarm = new cloudwatch.Alarm(this, "WorkerErrors", {
      ...atLeastOne,
      alarmDescription: "offboard: the worker Lambda failed (crash, timeout or unhandled error).",
      metric: props.worker.metricErrors(sumOverPeriod),
    });
    this.workerThrottlesAlarm = new cloudwatch.Alarm(this, "WorkerThrottles", {
      ...atLeastOne,
      alarmDescription: "offboard: the worker Lambda was throttled (account concurrency exhausted).",
      metric: props.worker.metricThrottles(sumOverPeriod),
    });
    const rule = props.rule;
    const ruleMetric = (r: events.IRule, metricName: string) =>
      new cloudwatch.Metric({
        namespace: "AWS/Events",
        metricName,
        dimensionsMap: { RuleName: r.ruleName },
        ...sumOverPeriod,
      });
    this.ruleFailedInvocationsAlarm =
      rule === undefined
        ? undefined
        : new cloudwatch.Alarm(this, "RuleTargetFailures", {
            ...atLeastOne,
            alarmDescription: "offboard: EventBridge failed to deliver Okta events to the queue (they go to the DLQ).",
            metric: ruleMetric(rule, "FailedInvocations"),
          });
    this.ruleDlqFailuresAlarm =
      rule === undefined
        ? undefined
        : new cloudwatch.Alarm(this, "RuleDlqFailures", {
            ...atLeastOne,
            alarmDescription:
              "offboard: EventBridge could not even write failed events to the DLQ: events are being lost.",
            metric: ruleMetric(rule, "InvocationsFailedToBeSentToDlq"),
          });
    this.sinkInactiveAlarm = new cloudwatch.Alarm(this, "SinkInactive", {
      ...atLeastOne,
      alarmDescription:
        "offboard: routed events name a sink that is not configured (a missing or mistyped key): they are retried, then dead-lettered with reason sink-inactive. Runbook: docs/operations.md.",
      // Published by the worker's telemetry (packages/handlers/src/telemetry.ts, METRICS.eventsSinkInactive).
      metric: new cloudwatch.Metric({
        namespace: DEFAULTS.powertoolsMetricsNamespace,
        metricName: "EventsSinkInactive",
        dimensionsMap: { service: DEFAULTS.powertoolsServiceName },
        ...sumOverPeriod,
      }),
    });
    this.alarms = [
      this.deadLetterQueueAlarm,
      this.oldestMessageAlarm,
      this.workerErrorsAlarm,
      this.workerThrottlesAlarm,
      ...(this.ruleFailedInvocationsAlarm !== undefined ? [this.ruleFailedInvocationsAlarm] : []),
      ...(this.ruleDlqFailuresAlarm !== undefined ? [this.ruleDlqFailuresAlarm] : []),
      this.sinkInactiveAlarm,
    ];

    if (props.topic !== undefined) {
      this.topic = props.topic;
    } else if (props.createTopic === true || (props.notificationEmails ?? []).length > 0) {
      // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key: use our own key.
      this.topicKey = new kms.Key(this, "TopicKey", {
        enableKeyRotation: true,
        description: "offboard: encrypts the alarm topic",
      });
      this.topicKey.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey");
      const topic = new sns.Topic(this, "Topic", {
        displayName: "offboard alarms",
        masterKey: this.topicKey,
        enforceSSL: true,
      });
      for (const email of props.notificationEmails ?? [])
        topic.addSubscription(new subscriptions.EmailSubscription(email));
      this.topic = topic;
    }
    if (this.topic !== undefined) {
      const action = new actions.SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
