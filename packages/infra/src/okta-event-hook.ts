/**
 * `OktaEventHookReceiver`: the Okta Event Hook receiver Lambda behind a Function URL, enqueuing into the
 * worker's queue with source `offboard.event-hook`, plus (unless `register: false`) a custom resource
 * that registers the hook in Okta for the handled event types and has Okta verify it.
 *
 * The Function URL has no IAM auth (Okta cannot sign requests): every request must carry the static
 * header secret, compared in constant time; anything else gets a 401 before the body is read further.
 * The handlers live in packages/handlers/src/event-hook/.
 */
import path from "node:path";
import { checkOktaOrgUrl, HANDLED_EVENT_TYPES } from "@offboard/core";
import { CustomResource, Duration, Token } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";
import { OffboardFunction, REPO_ROOT } from "./lambda.ts";

export const EVENT_HOOK_ENTRIES = {
  receiver: path.join(REPO_ROOT, "packages/handlers/src/event-hook/handler.ts"),
  resource: path.join(REPO_ROOT, "packages/handlers/src/event-hook/hook-resource.ts"),
} as const;

/**
 * Every AWS action the event hook's roles are granted, and why (the IAM test derives the SDK calls from
 * the handlers' source and compares). Hand-written instead of grantRead/grantSendMessages: those add
 * DescribeSecret, GetQueueAttributes, GetQueueUrl and, on a KMS queue, kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey*.
 */
export const EVENT_HOOK_ACTIONS = {
  /**
   * handlers/log-stream/secret.ts (loadOktaToken): GetSecretValueCommand. The receiver reads the hook
   * secret; the registration handler reads the hook secret and the Okta admin secret.
   */
  secret: ["secretsmanager:GetSecretValue"],
  /** handlers/event-hook/envelope.ts (sqsEnqueue): SendMessageBatchCommand, authorised by sqs:SendMessage. */
  queue: ["sqs:SendMessage"],
  /** With a customer-managed queue key: SQS asks for a data key (and decrypts it) to encrypt what is sent. */
  queueKey: ["kms:Decrypt", "kms:GenerateDataKey"],
} as const;

/** Grant `granted` on `resource` to `fn`'s role, and nothing else. */
const allow = (fn: lambda.IFunction, granted: ReadonlyArray<string>, resource: string) =>
  iam.Grant.addToPrincipal({ grantee: fn, actions: [...granted], resourceArns: [resource] });

/** Read one secret: GetSecretValue, and decrypt with its key when it has a customer-managed one. */
const allowSecretRead = (fn: lambda.IFunction, secret: secretsmanager.ISecret) => {
  allow(fn, EVENT_HOOK_ACTIONS.secret, secret.secretArn);
  secret.encryptionKey?.grantDecrypt(fn);
};

export interface OktaEventHookReceiverProps {
  readonly oktaOrgUrl: string;
  readonly customDomains?: ReadonlyArray<string>;
  /** The worker's queue. */
  readonly queue: sqs.IQueue;
  /** JSON secret with the header value under `hookSecretKey`. */
  readonly hookSecret: secretsmanager.ISecret;
  /** @default "OKTA_EVENT_HOOK_SECRET" */
  readonly hookSecretKey?: string;
  /** The header Okta sends the secret in. @default "Authorization" */
  readonly headerName?: string;
  /** Register and verify the hook in Okta with this admin secret (JSON key OKTA_API_TOKEN). */
  readonly adminSecret?: secretsmanager.ISecret;
  /** The hook's name in Okta. @default "offboard" */
  readonly name?: string;
  readonly alarmTopic?: sns.ITopic;
  readonly logRetention?: logs.RetentionDays;
}

export class OktaEventHookReceiver extends Construct {
  public readonly handler: OffboardFunction;
  public readonly functionUrl: lambda.FunctionUrl;
  /** The receiver's URL, to register in Okta (done for you when `adminSecret` is given). */
  public readonly url: string;
  /** Undefined when the hook is registered elsewhere. */
  public readonly registration: CustomResource | undefined;
  public readonly registrationHandler: OffboardFunction | undefined;
  public readonly registrationFrameworkRole: iam.Role | undefined;
  public readonly receiverErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OktaEventHookReceiverProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.oktaOrgUrl)) {
      const checked = checkOktaOrgUrl(props.oktaOrgUrl, { customDomains: props.customDomains ?? [] });
      if (!checked.ok) throw new Error(`oktaOrgUrl: ${checked.message}`);
    }
    const headerName = props.headerName ?? "Authorization";
    if (!/^[A-Za-z0-9-]{1,64}$/.test(headerName))
      throw new Error(`headerName ${JSON.stringify(headerName)} is not a header name`);
    const hookSecretKey = props.hookSecretKey ?? "OKTA_EVENT_HOOK_SECRET";
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;

    this.handler = new OffboardFunction(this, "Receiver", {
      entry: EVENT_HOOK_ENTRIES.receiver,
      description: "offboard: receives Okta Event Hook deliveries and enqueues them",
      // Okta waits 3 s; the receiver answers within 2.5 s or says 503.
      timeout: Duration.seconds(5),
      memorySize: 256,
      logRetention,
      environment: {
        OFFBOARD_QUEUE_URL: props.queue.queueUrl,
        OKTA_EVENT_HOOK_SECRET_ARN: props.hookSecret.secretArn,
        OKTA_EVENT_HOOK_SECRET_KEY: hookSecretKey,
        OKTA_EVENT_HOOK_HEADER: headerName,
      },
    });
    allowSecretRead(this.handler.function, props.hookSecret);
    allow(this.handler.function, EVENT_HOOK_ACTIONS.queue, props.queue.queueArn);
    if (props.queue.encryptionMasterKey !== undefined) {
      allow(this.handler.function, EVENT_HOOK_ACTIONS.queueKey, props.queue.encryptionMasterKey.keyArn);
    }
    this.functionUrl = this.handler.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.url = this.functionUrl.url;

    this.receiverErrorsAlarm = new cloudwatch.Alarm(this, "ReceiverErrors", {
      alarmDescription:
        "offboard: the Event Hook receiver failed (queue or secret unavailable); Okta retries once, then the poller or `offboard reconcile` must catch up. Runbook: docs/operations.md (event hook).",
      metric: this.handler.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic !== undefined)
      this.receiverErrorsAlarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));

    if (props.adminSecret === undefined) {
      this.registration = undefined;
      this.registrationHandler = undefined;
      this.registrationFrameworkRole = undefined;
      return;
    }
    const resourceHandler = new OffboardFunction(this, "RegistrationHandler", {
      entry: EVENT_HOOK_ENTRIES.resource,
      description: "offboard: registers and verifies the Okta Event Hook (custom resource onEvent)",
      timeout: Duration.minutes(2),
      logRetention,
    });
    allowSecretRead(resourceHandler.function, props.adminSecret);
    allowSecretRead(resourceHandler.function, props.hookSecret);
    const frameworkLogGroup = new logs.LogGroup(this, "FrameworkLogGroup", { retention: logRetention });
    const frameworkRole = new iam.Role(this, "FrameworkRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "Execution role of the offboard Okta event hook provider framework",
    });
    frameworkLogGroup.grantWrite(frameworkRole);
    this.registrationHandler = resourceHandler;
    this.registrationFrameworkRole = frameworkRole;
    const provider = new cr.Provider(this, "Provider", {
      onEventHandler: resourceHandler.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogGroup,
    });
    this.registration = new CustomResource(this, "Registration", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::OktaEventHook",
      properties: {
        OktaOrgUrl: props.oktaOrgUrl,
        CustomDomains: (props.customDomains ?? []).join(","),
        AdminSecretArn: props.adminSecret.secretArn,
        AdminSecretKey: DEFAULTS.oktaTokenSecretKey,
        HookSecretArn: props.hookSecret.secretArn,
        HookSecretKey: hookSecretKey,
        HeaderName: headerName,
        Name: props.name ?? "offboard",
        Uri: this.url,
        EventTypes: HANDLED_EVENT_TYPES.join(","),
      },
    });
    // Okta verifies the hook by calling the URL: the receiver must be deployed first.
    this.registration.node.addDependency(this.functionUrl);
  }
}
