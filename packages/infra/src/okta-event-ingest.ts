/**
 * `OktaEventIngest`: Okta's partner event bus, a rule selecting the handled lifecycle events (core's
 * catalogue: one source of truth), an encrypted TLS-only SQS queue with a DLQ, and the same DLQ on the
 * rule target so events EventBridge could not deliver are kept as well.
 */

import { OKTA_PARTNER_SOURCE_PREFIX, oktaEventPattern } from "@offboard/core";
import { Aws, Duration, Lazy, Token } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";

/** How the queues are encrypted at rest. */
export type QueueEncryption = "SQS_MANAGED" | "KMS";

export interface OktaEventIngestProps {
  /**
   * `aws.partner/okta.com/<org>/<eventSourceName>`: Okta creates it when the log stream is created.
   * Absent when events arrive only through offboard's own sources (poller, event hook): no bus, no rule.
   */
  readonly partnerEventSourceName?: string | undefined;
  /**
   * SQS-managed SSE (default; no key to manage, EventBridge can write without key policy changes) or a
   * customer-managed KMS key (created with rotation unless `encryptionKey` is given).
   */
  readonly encryption?: QueueEncryption;
  readonly encryptionKey?: kms.IKey;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** Main queue visibility timeout; must be at least 6x the worker's timeout. @default 6 x 60 s */
  readonly visibilityTimeout?: Duration;
  /** Retention of both queues. @default 14 days */
  readonly retentionPeriod?: Duration;
  /** EventBridge retries toward the queue before using the target DLQ. @default 185 */
  readonly targetRetryAttempts?: number;
  /** @default 24 hours */
  readonly targetMaxEventAge?: Duration;
  /**
   * IAM principal ARNs (roles; `*` wildcards allowed) that may send to the queue besides the rule:
   * offboard's own poller and event-hook roles, and the role operators redrive the DLQ with. Everyone
   * else is denied `sqs:SendMessage` by the queue policy. More can be added with `addTrustedSender`.
   * @default only the account's root user
   */
  readonly trustedSenders?: ReadonlyArray<string>;
}

type CorePattern = ReturnType<typeof oktaEventPattern>;

/**
 * Core's EventBridge pattern in CDK's `EventPattern` shape. The values pass through untouched (CDK types
 * them as `string[]`, but EventBridge content filters such as `{ prefix }` are valid members), so the
 * synthesized rule is exactly core's pattern.
 */
export const toCdkEventPattern = (pattern: CorePattern): events.EventPattern => ({
  source: pattern.source as unknown as Array<string>,
  detailType: pattern["detail-type"],
  detail: pattern.detail,
});

export class OktaEventIngest extends Construct {
  /** Undefined without a partner event source (source "poll"). */
  public readonly eventBus: events.EventBus | undefined;
  /** Undefined without a partner event source (source "poll"). */
  public readonly rule: events.Rule | undefined;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly encryptionKey: kms.IKey | undefined;
  public readonly maxReceiveCount: number;
  private readonly trustedSenders: Array<string> = [];

  constructor(scope: Construct, id: string, props: OktaEventIngestProps) {
    super(scope, id);
    if (props.partnerEventSourceName !== undefined && !Token.isUnresolved(props.partnerEventSourceName)) {
      if (!props.partnerEventSourceName.startsWith(OKTA_PARTNER_SOURCE_PREFIX)) {
        throw new Error(
          `partnerEventSourceName must start with ${OKTA_PARTNER_SOURCE_PREFIX}, got ${JSON.stringify(props.partnerEventSourceName)}`,
        );
      }
    }
    this.maxReceiveCount = props.maxReceiveCount ?? DEFAULTS.maxReceiveCount;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1 || this.maxReceiveCount > 1000) {
      throw new Error(`maxReceiveCount must be an integer from 1 to 1000, got ${this.maxReceiveCount}`);
    }
    const retentionPeriod = props.retentionPeriod ?? DEFAULTS.queueRetention;
    const useKms = (props.encryption ?? "SQS_MANAGED") === "KMS" || props.encryptionKey !== undefined;
    this.encryptionKey = useKms
      ? (props.encryptionKey ??
        new kms.Key(this, "QueueKey", {
          enableKeyRotation: true,
          description: "offboard: encrypts the Okta event queue and its DLQ",
        }))
      : undefined;
    const encryption =
      this.encryptionKey === undefined
        ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
        : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: this.encryptionKey };

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      ...encryption,
      enforceSSL: true,
      retentionPeriod,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      ...encryption,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout:
        props.visibilityTimeout ??
        Duration.seconds(DEFAULTS.workerTimeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    if (props.partnerEventSourceName === undefined) {
      this.eventBus = undefined;
      this.rule = undefined;
      return;
    }
    // The bus name must equal the partner event source name; creating it associates the source.
    this.eventBus = new events.EventBus(this, "PartnerBus", { eventSourceName: props.partnerEventSourceName });

    this.rule = new events.Rule(this, "LifecycleRule", {
      eventBus: this.eventBus,
      description: "offboard: Okta user lifecycle events (suspend, unsuspend, deactivate, reactivate, delete)",
      eventPattern: toCdkEventPattern(oktaEventPattern()),
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.targetRetryAttempts ?? DEFAULTS.targetRetryAttempts,
        maxEventAge: props.targetMaxEventAge ?? DEFAULTS.targetMaxEventAge,
      }),
    );
    // Only the rule (and trusted principals) may send: a forged "Okta" envelope from anyone else with
    // sqs:SendMessage in the account is refused by SQS itself, before the worker's trust rules.
    this.trustedSenders.push(...(props.trustedSenders ?? []));
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "OnlyTheRuleAndOffboardSend",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ["sqs:SendMessage"],
        resources: [this.queue.queueArn],
        conditions: {
          ArnNotEquals: { "aws:SourceArn": this.rule.ruleArn },
          ArnNotLike: {
            "aws:PrincipalArn": Lazy.list({
              produce: () => [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`, ...this.trustedSenders],
            }),
          },
        },
      }),
    );
    // With a customer key, the SqsQueue target's grantSendMessages(events.amazonaws.com) also lets EventBridge
    // use the key. The DLQ shares that key, so failed deliveries can be written to it as well.
  }

  /** Lets this principal (offboard's poller or event-hook role, an operator's redrive role) send to the queue. */
  public addTrustedSender(principalArn: string): void {
    this.trustedSenders.push(principalArn);
  }
}
