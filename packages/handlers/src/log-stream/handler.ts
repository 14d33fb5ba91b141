/**
 * Lambda entry point: the `onEvent` handler of the `OktaLogStream` custom resource's provider.
 * Reads the Okta API token from Secrets Manager (JSON key `OKTA_API_TOKEN` by default) on each request,
 * so a rotated token is picked up without redeploying, then runs the resource life cycle.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { makeOktaLogStreamClient } from "@offboard/adapters/okta";
import { loadOktaToken } from "./secret.ts";

export { loadOktaToken } from "./secret.ts";

import {
  type CustomResourceEvent,
  type CustomResourceResponse,
  handleLogStreamEvent,
  type LogStreamProperties,
} from "./log-stream-resource.ts";

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
