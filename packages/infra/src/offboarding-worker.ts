/**
 * `OffboardingWorker`: the SQS worker Lambda (packages/handlers/src/sqs-worker.ts) with its event source
 * (partial batch failures), the DynamoDB delivery ledger, and grants of exactly the actions the worker's
 * code and its event source mapping use (`WORKER_ACTIONS`): read its own secret, get/put/update/delete
 * ledger items, send to the DLQ (rejected records), receive and delete from the queue.
 */
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Token } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
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
  /** OKTA_CUSTOM_DOMAINS: comma-separated custom domains that may serve the Okta org */
  readonly oktaCustomDomains?: string;
}

export interface OffboardingWorkerProps {
  /** The queue the worker consumes. Its visibility timeout must be at least 6x `timeout`. */
  readonly queue: sqs.IQueue;
  /** Where the worker sends records it rejects (with a reason attribute). */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * The worker's own JSON secret (SLACK_BOT_TOKEN, JIRA_API_TOKEN, BAMBOOHR_API_KEY, and an Okta read-only
   * credential if one is configured). Never the Okta admin secret of the log-stream custom resource: the
   * worker handles attacker-influenced data and must not be able to read an admin token.
   */
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
  oktaCustomDomains: "OKTA_CUSTOM_DOMAINS",
};

/**
 * Every AWS action the worker's role is granted, and why. The worker's code (packages/adapters
 * dynamodb-ledger.ts and secrets.ts, packages/handlers dlq.ts) makes no other AWS call; the queue actions
 * are the ones Lambda's SQS event source mapping needs (AWS: "sqs:ReceiveMessage, sqs:DeleteMessage,
 * sqs:GetQueueAttributes"). Add an action here only together with the code that calls it.
 */
export const WORKER_ACTIONS = {
  /** adapters/secrets.ts: GetSecretValueCommand. */
  secret: ["secretsmanager:GetSecretValue"],
  /**
   * adapters/ledger/dynamodb.ts: BatchGetItem (a batch's case records), GetItem (an event's item),
   * UpdateItem (claim, settle, release), PutItem (case). No Scan, Query, DeleteItem or stream reads.
   */
  ledger: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
  /** handlers/dlq.ts: SendMessageCommand. */
  deadLetterQueue: ["sqs:SendMessage"],
  /** The SQS event source mapping, on the function's behalf. */
  queue: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
  /** With a customer-managed queue key: decrypt received messages, encrypt (data key) messages sent to the DLQ. */
  queueKeyConsume: ["kms:Decrypt"],
  queueKeyProduce: ["kms:Decrypt", "kms:GenerateDataKey"],
} as const;

export class OffboardingWorker extends Construct {
  public readonly lambda: OffboardFunction;
  public readonly ledgerTable: dynamodb.Table;
  public readonly eventSourceMapping: lambda.EventSourceMapping;
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
    // Hand-written grants instead of grantRead/grantReadWriteData/grantSendMessages/SqsEventSource: those
    // add actions the worker never calls (DescribeSecret, Scan, Query, Batch*, GetRecords, GetShardIterator,
    // GetQueueUrl, ChangeMessageVisibility, kms:ReEncrypt*).
    const allow = (actions: ReadonlyArray<string>, resource: string) =>
      iam.Grant.addToPrincipal({ grantee: fn, actions: [...actions], resourceArns: [resource] });
    allow(WORKER_ACTIONS.secret, props.secret.secretArn);
    if (props.secret.encryptionKey !== undefined) {
      props.secret.encryptionKey.grantDecrypt(fn);
    }
    allow(WORKER_ACTIONS.ledger, this.ledgerTable.tableArn);
    allow(WORKER_ACTIONS.deadLetterQueue, props.deadLetterQueue.queueArn);
    if (props.deadLetterQueue.encryptionMasterKey !== undefined) {
      allow(WORKER_ACTIONS.queueKeyProduce, props.deadLetterQueue.encryptionMasterKey.keyArn);
    }
    allow(WORKER_ACTIONS.queue, props.queue.queueArn);
    if (props.queue.encryptionMasterKey !== undefined) {
      allow(WORKER_ACTIONS.queueKeyConsume, props.queue.encryptionMasterKey.keyArn);
    }

    this.eventSourceMapping = fn.addEventSourceMapping("SqsEventSource", {
      eventSourceArn: props.queue.queueArn,
      batchSize,
      maxConcurrency,
      maxBatchingWindow: props.maxBatchingWindow ?? DEFAULTS.maxBatchingWindow,
      reportBatchItemFailures: true,
    });
    // Lambda checks the role's queue permissions when the mapping is created.
    if (fn.role !== undefined) this.eventSourceMapping.node.addDependency(fn.role);
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
