/**
 * `OffboardingWorker`: the SQS worker Lambda (packages/handlers/src/sqs-worker.ts) with its event source
 * (partial batch failures), the DynamoDB delivery ledger, and least-privilege grants:
 * read the secret, read/write the ledger, send to the DLQ (rejected records), consume the queue.
 */
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Token } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";
import { HANDLER_ENTRIES, OffboardFunction } from "./lambda.ts";

/** Non-secret settings of the worker; each becomes the environment variable named in the comment. */
export interface WorkerSettings {
  /** SLACK_CHANNEL_ID */
  readonly slackChannelId?: string;
  /** JIRA_BASE_URL, e.g. https://acme.atlassian.net */
  readonly jiraBaseUrl?: string;
  /** JIRA_EMAIL: the account the Jira API token belongs to */
  readonly jiraEmail?: string;
  /** JIRA_PROJECT_KEY */
  readonly jiraProjectKey?: string;
  /** JIRA_ISSUE_TYPE */
  readonly jiraIssueType?: string;
  /** BAMBOOHR_COMPANY_DOMAIN */
  readonly bambooHrCompanyDomain?: string;
  /** OKTA_ORG_URL */
  readonly oktaOrgUrl?: string;
}

export interface OffboardingWorkerProps {
  /** The queue the worker consumes. Its visibility timeout must be at least 6x `timeout`. */
  readonly queue: sqs.IQueue;
  /** Where the worker sends records it rejects (with a reason attribute). */
  readonly deadLetterQueue: sqs.IQueue;
  /** JSON secret with SLACK_BOT_TOKEN, JIRA_API_TOKEN, BAMBOOHR_API_KEY, OKTA_API_TOKEN, ... */
  readonly secret: secretsmanager.ISecret;
  readonly settings?: WorkerSettings;
  /** Extra environment variables (merged last). */
  readonly environment?: Record<string, string>;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** SQS event source maximum concurrency, 2..1000. @default 5 */
  readonly maxConcurrency?: number;
  /** @default 1 second */
  readonly maxBatchingWindow?: Duration;
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the ledger table when it leaves the stack. @default RETAIN */
  readonly ledgerRemovalPolicy?: RemovalPolicy;
}

const ENV_NAMES: Record<keyof WorkerSettings, string> = {
  slackChannelId: "SLACK_CHANNEL_ID",
  jiraBaseUrl: "JIRA_BASE_URL",
  jiraEmail: "JIRA_EMAIL",
  jiraProjectKey: "JIRA_PROJECT_KEY",
  jiraIssueType: "JIRA_ISSUE_TYPE",
  bambooHrCompanyDomain: "BAMBOOHR_COMPANY_DOMAIN",
  oktaOrgUrl: "OKTA_ORG_URL",
};

export class OffboardingWorker extends Construct {
  public readonly lambda: OffboardFunction;
  public readonly ledgerTable: dynamodb.Table;
  public readonly eventSource: SqsEventSource;
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: OffboardingWorkerProps) {
    super(scope, id);
    this.timeout = props.timeout ?? DEFAULTS.workerTimeout;
    const batchSize = props.batchSize ?? DEFAULTS.batchSize;
    const maxConcurrency = props.maxConcurrency ?? DEFAULTS.maxConcurrency;
    if (maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(`maxConcurrency must be from 2 to 1000 (an SQS event source limit), got ${maxConcurrency}`);
    }
    assertVisibilityTimeout(props.queue, this.timeout);

    this.ledgerTable = new dynamodb.Table(this, "Ledger", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: DEFAULTS.ledgerTtlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.ledgerRemovalPolicy ?? DEFAULTS.ledgerRemovalPolicy,
    });

    const settingsEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(props.settings ?? {})) {
      if (typeof value === "string" && value.length > 0) settingsEnv[ENV_NAMES[key as keyof WorkerSettings]] = value;
    }

    this.lambda = new OffboardFunction(this, "Worker", {
      entry: HANDLER_ENTRIES.sqsWorker,
      description: "offboard: processes Okta lifecycle events from SQS (Slack, Jira, HRIS)",
      timeout: this.timeout,
      memorySize: props.memorySize ?? DEFAULTS.workerMemorySize,
      logRetention: props.logRetention ?? DEFAULTS.logRetention,
      environment: {
        OFFBOARD_SECRET_ARN: props.secret.secretArn,
        OFFBOARD_LEDGER_TABLE: this.ledgerTable.tableName,
        OFFBOARD_DLQ_URL: props.deadLetterQueue.queueUrl,
        POWERTOOLS_SERVICE_NAME: DEFAULTS.powertoolsServiceName,
        POWERTOOLS_METRICS_NAMESPACE: DEFAULTS.powertoolsMetricsNamespace,
        ...settingsEnv,
        ...props.environment,
      },
    });
    const fn = this.lambda.function;
    props.secret.grantRead(fn);
    this.ledgerTable.grantReadWriteData(fn);
    props.deadLetterQueue.grantSendMessages(fn);

    this.eventSource = new SqsEventSource(props.queue, {
      batchSize,
      maxConcurrency,
      maxBatchingWindow: props.maxBatchingWindow ?? DEFAULTS.maxBatchingWindow,
      reportBatchItemFailures: true,
    });
    fn.addEventSource(this.eventSource);
  }
}

/** AWS's rule for SQS event sources: visibility timeout >= 6 x function timeout, else duplicates. */
const assertVisibilityTimeout = (queue: sqs.IQueue, timeout: Duration) => {
  if (!(queue instanceof sqs.Queue)) return;
  const cfn = queue.node.defaultChild as sqs.CfnQueue;
  const visibility = cfn.visibilityTimeout ?? 30; // SQS's default
  if (Token.isUnresolved(visibility)) return;
  const required = timeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor;
  if (visibility < required) {
    throw new Error(
      `The queue's visibility timeout (${visibility} s) must be at least ${DEFAULTS.visibilityTimeoutFactor}x the worker timeout (${timeout.toSeconds()} s = ${required} s)`,
    );
  }
};
