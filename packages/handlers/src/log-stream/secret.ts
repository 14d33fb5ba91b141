/**
 * Reading one string out of a Secrets Manager JSON secret, for the custom resources and the Event Hook
 * receiver. Kept apart from the handlers so the receiver's bundle does not pull in the Okta client.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Data, Redacted } from "effect";

/** The Okta API token could not be read from Secrets Manager. */
export class OktaTokenSecretError extends Data.TaggedError("OktaTokenSecretError")<{
  readonly message: string;
  readonly secretArn: string;
}> {}

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
