/**
 * The app's configuration: what `bin/app.ts` reads from CDK context (`cdk.json` or `-c key=value`) and
 * what `OffboardingStack` takes as props. Validated in one place with errors that name the context key.
 */
import { checkOktaOrgUrl, OKTA_PARTNER_SOURCE_PREFIX } from "@offboard/core";
import type { QueueEncryption } from "./okta-event-ingest.ts";

export interface OffboardConfig {
  /**
   * Okta org base URL, e.g. https://acme.okta.com (context `oktaOrgUrl`): https on an Okta org domain
   * (`*.okta.com`, `*.oktapreview.com`, `*.okta-emea.com`, `*.okta-gov.com`, `*.okta.mil`) or on
   * one of `oktaCustomDomains`.
   */
  readonly oktaOrgUrl: string;
  /**
   * The org's custom domains, e.g. login.acme.com, declared so `oktaOrgUrl` may use one (context
   * `oktaCustomDomains`: comma-separated, or an array in cdk.json). The worker gets them as OKTA_CUSTOM_DOMAINS.
   */
  readonly oktaCustomDomains?: ReadonlyArray<string>;
  /** Org subdomain in the partner event source name; defaults to the URL's first host label (`oktaOrgName`). */
  readonly oktaOrgName?: string;
  /**
   * Full ARN (with its 6-character suffix) of the worker's JSON secret: Slack, Jira, BambooHR and an
   * optional Okta read-only credential (context `secretArn`). Only the worker may read it.
   */
  readonly secretArn: string;
  /**
   * Full ARN of the Okta admin secret (`OKTA_API_TOKEN` of an admin who may manage log streams), read only
   * by the log-stream custom resource (context `oktaAdminSecretArn`). Required unless
   * `existingEventSourceName` is set; must not be `secretArn`.
   */
  readonly oktaAdminSecretArn?: string;
  /** Okta log stream name (context `logStreamName`, default "offboard"). */
  readonly logStreamName?: string;
  /** Log stream `eventSourceName` (context `eventSourceName`, default "offboard"). */
  readonly eventSourceName?: string;
  /**
   * The stream was created elsewhere (Admin Console, Terraform): its partner event source name,
   * `aws.partner/okta.com/<org>/<name>`. The stack then creates no log stream (context `existingEventSourceName`).
   */
  readonly existingEventSourceName?: string;
  readonly slackChannelId?: string;
  readonly jiraBaseUrl?: string;
  readonly jiraEmail?: string;
  readonly jiraProjectKey?: string;
  readonly jiraIssueType?: string;
  readonly bambooHrCompanyDomain?: string;
  /** "SQS_MANAGED" (default) or "KMS" (context `queueEncryption`). */
  readonly queueEncryption?: QueueEncryption;
  readonly maxReceiveCount?: number;
  readonly batchSize?: number;
  readonly maxConcurrency?: number;
  readonly workerTimeoutSeconds?: number;
  /** Existing SNS topic for alarm notifications (context `alarmTopicArn`). */
  readonly alarmTopicArn?: string;
  /** E-mail subscribed to a created alarm topic (context `alarmEmail`). */
  readonly alarmEmail?: string;
  /**
   * Where events come from (context `source`): "stream" (Okta Log Streaming only), "poll" (the System Log
   * poller only, for orgs without Log Streaming) or "stream+poll" (default: the stream for speed, the
   * poller a few minutes behind as a safety net that also backfills a deactivated stream).
   */
  readonly source?: OffboardSource;
  /** Re-activate an inactive log stream from the poller (context `autoReactivateStream=true`; needs the admin token). */
  readonly autoReactivateStream?: string;
  /**
   * Full ARN of a JSON secret holding OKTA_EVENT_HOOK_SECRET (context `eventHookSecretArn`): deploys the Event
   * Hook receiver behind a Function URL and registers it in Okta.
   */
  readonly eventHookSecretArn?: string;
  /**
   * Comma list of IAM principal ARNs (`*` allowed) that may send to the queue besides the rule: the role
   * operators redrive the DLQ with, offboard's poller and event hook (context `trustedSenderArns`).
   */
  readonly trustedSenderArns?: string;
}

export type OffboardSource = "stream" | "poll" | "stream+poll";
export const OFFBOARD_SOURCES: ReadonlyArray<OffboardSource> = ["stream", "poll", "stream+poll"];

/** Values used by `npm run synth` (context `offboard:example=true`) so the template can be inspected offline. */
export const EXAMPLE_CONFIG: OffboardConfig = {
  oktaOrgUrl: "https://example.okta.com",
  secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
  oktaAdminSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl",
  slackChannelId: "C0123456789",
  jiraBaseUrl: "https://example.atlassian.net",
  jiraEmail: "offboard-bot@example.com",
  jiraProjectKey: "IT",
  jiraIssueType: "Task",
  bambooHrCompanyDomain: "example",
};

const STRING_KEYS = [
  "oktaOrgUrl",
  "oktaOrgName",
  "secretArn",
  "oktaAdminSecretArn",
  "logStreamName",
  "eventSourceName",
  "existingEventSourceName",
  "slackChannelId",
  "jiraBaseUrl",
  "jiraEmail",
  "jiraProjectKey",
  "jiraIssueType",
  "bambooHrCompanyDomain",
  "queueEncryption",
  "alarmTopicArn",
  "alarmEmail",
  "source",
  "autoReactivateStream",
  "eventHookSecretArn",
  "trustedSenderArns",
] as const;
const NUMBER_KEYS = ["maxReceiveCount", "batchSize", "maxConcurrency", "workerTimeoutSeconds"] as const;
const LIST_KEYS = ["oktaCustomDomains"] as const;
export const CONTEXT_KEYS = [...STRING_KEYS, ...LIST_KEYS, ...NUMBER_KEYS];

const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Validate a configuration; every problem is listed, each naming its context key. */
export const validateConfig = (config: OffboardConfig): OffboardConfig => {
  const problems: Array<string> = [];
  if (!config.oktaOrgUrl) problems.push("oktaOrgUrl is required (e.g. -c oktaOrgUrl=https://acme.okta.com)");
  else {
    const check = checkOktaOrgUrl(
      config.oktaOrgUrl,
      config.oktaCustomDomains === undefined ? {} : { customDomains: config.oktaCustomDomains },
    );
    if (!check.ok) {
      const hint = check.message.includes("custom domain") ? " (-c oktaCustomDomains=<host>, with oktaOrgName)" : "";
      problems.push(`oktaOrgUrl: ${check.message}${hint}`);
    }
  }
  if (!config.secretArn) problems.push("secretArn is required (the full ARN of the worker's JSON secret)");
  else if (!COMPLETE_SECRET_ARN.test(config.secretArn)) {
    problems.push(
      `secretArn must be a complete Secrets Manager ARN ending in its 6-character suffix, got ${config.secretArn}`,
    );
  }
  if (config.existingEventSourceName === undefined && config.source !== "poll") {
    if (!config.oktaAdminSecretArn) {
      problems.push(
        "oktaAdminSecretArn is required to create the Okta log stream (the full ARN of the secret with the Okta admin token; or set existingEventSourceName)",
      );
    } else if (!COMPLETE_SECRET_ARN.test(config.oktaAdminSecretArn)) {
      problems.push(
        `oktaAdminSecretArn must be a complete Secrets Manager ARN ending in its 6-character suffix, got ${config.oktaAdminSecretArn}`,
      );
    } else if (config.oktaAdminSecretArn === config.secretArn) {
      problems.push(
        "oktaAdminSecretArn must be a different secret from secretArn: the worker must not be able to read the Okta admin token",
      );
    }
  }
  if (
    config.existingEventSourceName !== undefined &&
    !config.existingEventSourceName.startsWith(OKTA_PARTNER_SOURCE_PREFIX)
  ) {
    problems.push(
      `existingEventSourceName must start with ${OKTA_PARTNER_SOURCE_PREFIX}, got ${config.existingEventSourceName}`,
    );
  }
  if (
    config.queueEncryption !== undefined &&
    config.queueEncryption !== "SQS_MANAGED" &&
    config.queueEncryption !== "KMS"
  ) {
    problems.push(`queueEncryption must be SQS_MANAGED or KMS, got ${String(config.queueEncryption)}`);
  }
  if (config.source !== undefined && !OFFBOARD_SOURCES.includes(config.source)) {
    problems.push(`source must be one of ${OFFBOARD_SOURCES.join(", ")}, got ${String(config.source)}`);
  }
  if (config.source === "poll" && config.existingEventSourceName !== undefined) {
    problems.push('existingEventSourceName names a log stream, but source is "poll" (no stream)');
  }
  if (config.eventHookSecretArn !== undefined && !COMPLETE_SECRET_ARN.test(config.eventHookSecretArn)) {
    problems.push(`eventHookSecretArn must be a complete Secrets Manager ARN, got ${config.eventHookSecretArn}`);
  }
  if (config.autoReactivateStream !== undefined && !["true", "false"].includes(String(config.autoReactivateStream))) {
    problems.push(`autoReactivateStream must be true or false, got ${String(config.autoReactivateStream)}`);
  }
  for (const key of NUMBER_KEYS) {
    const value = config[key];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      problems.push(`${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `offboard configuration is incomplete:\n  - ${problems.join("\n  - ")}\nSee docs/deploying.md.`,
    );
  }
  return config;
};

/**
 * Read the configuration from CDK context. `tryGetContext` is the only source, so `cdk.json`,
 * `~/.cdk.json` and `-c key=value` all work. With `offboard:example=true`, missing keys take example values.
 */
export const configFromContext = (tryGetContext: (key: string) => unknown): OffboardConfig => {
  const example = String(tryGetContext("offboard:example") ?? "false") === "true";
  const out: Record<string, string | number | ReadonlyArray<string>> = example ? { ...EXAMPLE_CONFIG } : {};
  for (const key of STRING_KEYS) {
    const value = tryGetContext(key);
    if (value !== undefined && value !== null && String(value).length > 0) out[key] = String(value);
  }
  for (const key of NUMBER_KEYS) {
    const value = tryGetContext(key);
    if (value !== undefined && value !== null && String(value).length > 0) out[key] = Number(value);
  }
  for (const key of LIST_KEYS) {
    const value = tryGetContext(key);
    const items = (Array.isArray(value) ? value.map(String) : String(value ?? "").split(","))
      .map((d) => d.trim())
      .filter((d) => d.length > 0);
    if (items.length > 0) out[key] = items;
  }
  return validateConfig(out as unknown as OffboardConfig);
};
