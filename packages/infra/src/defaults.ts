/**
 * Every default of the offboard constructs, in one place (the aws-solutions-constructs habit: props in,
 * user overrides merged onto these). Change a default here and every construct and the docs' table follow.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";

export const DEFAULTS = {
  /** Okta log stream name (unique per Okta org). */
  logStreamName: "offboard",
  /** `settings.eventSourceName` of the Okta log stream: the last segment of the partner event source. */
  eventSourceName: "offboard",
  /** JSON key in the Secrets Manager secret that holds the Okta API token. */
  oktaTokenSecretKey: "OKTA_API_TOKEN",
  /** Log streams are cheap to recreate, but deleting one stops event delivery: destroy with the stack. */
  logStreamRemovalPolicy: RemovalPolicy.DESTROY,

  /** SQS: the longest retention SQS allows, so an outage of days loses nothing. */
  queueRetention: Duration.days(14),
  /** SQS: receives before a message moves to the DLQ. */
  maxReceiveCount: 5,
  /** EventBridge target: retries before an event goes to the target DLQ (EventBridge's default is 185). */
  targetRetryAttempts: 185,
  /** EventBridge target: maximum age of an event that is still retried (EventBridge's maximum, 24 h). */
  targetMaxEventAge: Duration.hours(24),

  /** Worker Lambda. */
  workerTimeout: Duration.seconds(60),
  workerMemorySize: 512,
  /** SQS batch size per invocation. */
  batchSize: 10,
  /** SQS event source maximum concurrency (2..1000): caps pressure on Slack/Jira. */
  maxConcurrency: 5,
  /** SQS event source batching window. */
  maxBatchingWindow: Duration.seconds(1),
  /** AWS asks for a visibility timeout of at least 6x the function timeout for SQS event sources. */
  visibilityTimeoutFactor: 6,
  logRetention: RetentionDays.THREE_MONTHS,
  powertoolsServiceName: "offboard",
  powertoolsMetricsNamespace: "Offboard",

  /** Ledger table: audit data, kept when the stack is deleted. */
  ledgerRemovalPolicy: RemovalPolicy.RETAIN,
  ledgerTtlAttribute: "expiresAt",

  /** Custom-resource handler (Okta API calls with 429 retries that wait up to a minute). */
  logStreamHandlerTimeout: Duration.minutes(5),

  /** Alarms. */
  oldestMessageAgeThreshold: Duration.minutes(15),
  alarmPeriod: Duration.minutes(5),
} as const;
