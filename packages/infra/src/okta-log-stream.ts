/**
 * `OktaLogStream`: a CloudFormation custom resource that creates, activates, renames and deletes an Okta
 * log stream of type `aws_eventbridge` through Okta's Log Streams API. Okta then creates the partner
 * event source `aws.partner/okta.com/<org>/<eventSourceName>` in the given account and region.
 *
 * - Adopts an existing stream with the same name (and the same settings) instead of failing.
 * - accountId, region and eventSourceName are write-once in Okta: changing one replaces the stream
 *   (change `name` at the same time: names are unique per org and the new stream is created first).
 * - Retries Okta 429s until `x-rate-limit-reset`.
 * The handler lives in packages/handlers/src/log-stream/.
 */

import { checkOktaOrgUrl, OKTA_ORG_DOMAINS, OKTA_PARTNER_SOURCE_PREFIX } from "@offboard/core";
import { CustomResource, type RemovalPolicy, Stack, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { DEFAULTS } from "./defaults.ts";
import { HANDLER_ENTRIES, OffboardFunction } from "./lambda.ts";

export interface OktaLogStreamProps {
  /**
   * The Okta org's base URL, e.g. `https://acme.okta.com`: https, on an Okta org domain (`*.okta.com`,
   * `*.oktapreview.com`, `*.okta-emea.com`, `*.okta-gov.com`, `*.okta.mil`) or on one of `customDomains`.
   * The admin token is sent there, so anything else is refused at synth time.
   */
  readonly oktaOrgUrl: string;
  /**
   * The org's custom domains (e.g. `login.acme.com`), declared explicitly so `oktaOrgUrl` may use one.
   * Requires `oktaOrgName`: a custom domain does not carry the org's subdomain.
   */
  readonly customDomains?: ReadonlyArray<string>;
  /**
   * The org's subdomain as it appears in the partner event source name
   * (`aws.partner/okta.com/<oktaOrgName>/<eventSourceName>`). Defaults to the first label of the org URL's
   * host (`acme` for `https://acme.okta.com`); required when the URL is on one of `customDomains`.
   */
  readonly oktaOrgName?: string;
  /**
   * The Okta admin secret: a JSON object with the Okta API token that may manage log streams. Only this
   * construct's handler is granted read access to it; keep it apart from the worker's secret.
   */
  readonly apiTokenSecret: secretsmanager.ISecret;
  /** JSON key of the token in the secret. @default "OKTA_API_TOKEN" */
  readonly apiTokenSecretKey?: string;
  /** Log stream name, unique in the Okta org. @default "offboard" */
  readonly name?: string;
  /** `settings.eventSourceName`: 1-75 letters, digits, `.`, `-`, `_`. @default "offboard" */
  readonly eventSourceName?: string;
  /** AWS account that receives the events. @default the stack's account */
  readonly account?: string;
  /** AWS region that receives the events. @default the stack's region */
  readonly region?: string;
  /** What CloudFormation does with the Okta stream when the resource leaves the stack. @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the handler's and the provider framework's logs. */
  readonly logRetention?: logs.RetentionDays;
}

const EVENT_SOURCE_NAME = /^[a-zA-Z0-9.\-_]{1,75}$/;

/**
 * Where the custom resource may send the Okta admin token: core's `checkOktaOrgUrl` (https; an Okta org
 * domain or the declared custom domain; plain http only to loopback hosts). Returns the URL's origin.
 */
export const validateOktaOrgUrl = (oktaOrgUrl: string, customDomains: ReadonlyArray<string> = []): string => {
  const check = checkOktaOrgUrl(oktaOrgUrl, { customDomains });
  if (!check.ok) throw new Error(`oktaOrgUrl: ${check.message}`);
  return check.url.origin;
};

const onOktaDomain = (oktaOrgUrl: string) => {
  const host = new URL(oktaOrgUrl).hostname.toLowerCase();
  return OKTA_ORG_DOMAINS.some((d) => host.endsWith(`.${d}`));
};

/** `acme` from `https://acme.okta.com` (or `acme.oktapreview.com`, `acme.okta-emea.com`). */
export const oktaOrgNameFromUrl = (oktaOrgUrl: string): string => {
  let host: string;
  try {
    host = new URL(oktaOrgUrl).hostname;
  } catch {
    throw new Error(`oktaOrgUrl must be a URL such as https://acme.okta.com, got ${JSON.stringify(oktaOrgUrl)}`);
  }
  const label = host.split(".")[0] ?? "";
  if (label.length === 0) throw new Error(`Cannot derive the Okta org name from ${oktaOrgUrl}; set oktaOrgName`);
  return label;
};

/** The partner event source (and event bus) name Okta uses for an `aws_eventbridge` log stream. */
export const partnerEventSourceName = (oktaOrgName: string, eventSourceName: string) =>
  `${OKTA_PARTNER_SOURCE_PREFIX}${oktaOrgName}/${eventSourceName}`;

export class OktaLogStream extends Construct {
  /** `aws.partner/okta.com/<org>/<eventSourceName>`: create the partner event bus with this name. */
  public readonly partnerEventSourceName: string;
  public readonly eventSourceName: string;
  /** The Okta log stream id (a CloudFormation attribute). */
  public readonly logStreamId: string;
  public readonly customResource: CustomResource;
  public readonly provider: cr.Provider;
  public readonly handler: OffboardFunction;
  public readonly frameworkRole: iam.Role;
  public readonly frameworkLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OktaLogStreamProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.eventSourceName = props.eventSourceName ?? DEFAULTS.eventSourceName;
    if (!Token.isUnresolved(this.eventSourceName) && !EVENT_SOURCE_NAME.test(this.eventSourceName)) {
      throw new Error(
        `eventSourceName must be 1-75 letters, digits, '.', '-' or '_' (Okta's rule), got ${JSON.stringify(this.eventSourceName)}`,
      );
    }
    const urlKnown = !Token.isUnresolved(props.oktaOrgUrl);
    if (urlKnown) validateOktaOrgUrl(props.oktaOrgUrl, props.customDomains);
    if (urlKnown && props.oktaOrgName === undefined && !onOktaDomain(props.oktaOrgUrl)) {
      throw new Error(
        `oktaOrgName is required when oktaOrgUrl is not on an Okta org domain (${props.oktaOrgUrl}): the partner event source is named after the org's subdomain`,
      );
    }
    const orgName = props.oktaOrgName ?? oktaOrgNameFromUrl(props.oktaOrgUrl);
    this.partnerEventSourceName = partnerEventSourceName(orgName, this.eventSourceName);
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;

    this.handler = new OffboardFunction(this, "Handler", {
      entry: HANDLER_ENTRIES.logStream,
      description: "offboard: manages the Okta log stream (custom resource onEvent)",
      timeout: DEFAULTS.logStreamHandlerTimeout,
      logRetention,
    });
    // Exactly what the handler calls (GetSecretValueCommand), on the admin secret only.
    iam.Grant.addToPrincipal({
      grantee: this.handler.function,
      actions: ["secretsmanager:GetSecretValue"],
      resourceArns: [props.apiTokenSecret.secretArn],
    });
    props.apiTokenSecret.encryptionKey?.grantDecrypt(this.handler.function);

    this.frameworkLogGroup = new logs.LogGroup(this, "FrameworkLogGroup", { retention: logRetention });
    this.frameworkRole = new iam.Role(this, "FrameworkRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "Execution role of the offboard Okta log stream provider framework",
    });
    this.frameworkLogGroup.grantWrite(this.frameworkRole);
    this.provider = new cr.Provider(this, "Provider", {
      onEventHandler: this.handler.function,
      frameworkOnEventRole: this.frameworkRole,
      logGroup: this.frameworkLogGroup,
    });

    this.customResource = new CustomResource(this, "Resource", {
      serviceToken: this.provider.serviceToken,
      resourceType: "Custom::OktaLogStream",
      removalPolicy: props.removalPolicy ?? DEFAULTS.logStreamRemovalPolicy,
      properties: {
        OktaOrgUrl: props.oktaOrgUrl,
        SecretArn: props.apiTokenSecret.secretArn,
        SecretKey: props.apiTokenSecretKey ?? DEFAULTS.oktaTokenSecretKey,
        Name: props.name ?? DEFAULTS.logStreamName,
        AccountId: props.account ?? stack.account,
        Region: props.region ?? stack.region,
        EventSourceName: this.eventSourceName,
        // Read by the handler (comma-separated), which checks the URL again before sending the token.
        ...(props.customDomains !== undefined && props.customDomains.length > 0
          ? { CustomDomains: props.customDomains.join(",") }
          : {}),
      },
    });
    this.logStreamId = this.customResource.getAttString("LogStreamId");
  }
}
