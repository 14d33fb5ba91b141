/**
 * Lambda entry point: the `onEvent` handler of the `OktaLogStream` custom resource's provider.
 * Reads the Okta API token from Secrets Manager (JSON key `OKTA_API_TOKEN` by default) on each request,
 * so a rotated token is picked up without redeploying, then runs the resource life cycle.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { makeOktaLogStreamClient } from "@offboard/adapters";
import { Redacted } from "effect";
import { OktaTokenSecretError } from "./errors.ts";
import {
  type CustomResourceEvent,
  type CustomResourceResponse,
  handleLogStreamEvent,
  type LogStreamProperties,
} from "./log-stream-resource.ts";

/** Read one string value out of a JSON secret, as a Redacted value. Never logs the secret. */
export const loadOktaToken = async (
  secrets: Pick<SecretsManagerClient, "send">,
  secretArn: string,
  key: string,
): Promise<Redacted.Redacted<string>> => {
  let text: string | undefined;
  try {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    text = out.SecretString;
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : "Error";
    throw new OktaTokenSecretError({
      message: `Could not read secret ${secretArn} (${name}). Check that it exists in this region and that the custom resource's role may read it.`,
      secretArn,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? "");
  } catch {
    throw new OktaTokenSecretError({
      message: `Secret ${secretArn} is not a JSON object; store {"${key}": "<okta api token>", ...} as its SecretString.`,
      secretArn,
    });
  }
  const value = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)[key] : undefined;
  if (typeof value !== "string" || value.trim().length === 0) {
    throw new OktaTokenSecretError({
      message: `Secret ${secretArn} has no non-empty string key ${key}.`,
      secretArn,
    });
  }
  return Redacted.make(value.trim());
};

let secretsClient: SecretsManagerClient | undefined;

const clientFor = async (props: LogStreamProperties) => {
  secretsClient ??= new SecretsManagerClient({});
  const token = await loadOktaToken(secretsClient, props.secretArn, props.secretKey);
  return makeOktaLogStreamClient({ orgUrl: props.oktaOrgUrl, customDomains: props.customDomains, token });
};

export const handler = async (event: CustomResourceEvent): Promise<CustomResourceResponse> => {
  const started = { requestType: event.RequestType, physicalResourceId: event.PhysicalResourceId };
  try {
    const response = await handleLogStreamEvent(event, clientFor);
    console.log(JSON.stringify({ message: "Okta log stream request done", ...started, response }));
    return response;
  } catch (e) {
    const tag = typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "Error";
    console.error(
      JSON.stringify({ message: "Okta log stream request failed", ...started, error: tag, detail: String(e) }),
    );
    throw e;
  }
};
