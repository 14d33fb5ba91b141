/**
 * The custom resource reads its Okta API token from Secrets Manager. Tested against moto_server
 * through the real AWS SDK (moto_server must be on PATH: the test fails, never skips, without it).
 */
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { startFakeOkta, useMoto } from "@offboard/testkit";
import { Redacted } from "effect";
import { beforeAll, describe, expect, it } from "vitest";
import { OktaTokenSecretError } from "../src/log-stream/errors.ts";
import { handler, loadOktaToken } from "../src/log-stream/handler.ts";

const fixture = useMoto();
let client: SecretsManagerClient;

const secretWith = async (name: string, value: string) =>
  (await client.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN ?? "";

describe("log-stream handler with Secrets Manager (moto)", () => {
  beforeAll(() => {
    // For the Lambda entry point, which builds its own client from the environment.
    fixture.useEnv();
    client = fixture.client((c) => new SecretsManagerClient(c));
  });

  it("reads the OKTA_API_TOKEN key of a JSON secret as a redacted value", async () => {
    const arn = await secretWith("offboard-ok", JSON.stringify({ OKTA_API_TOKEN: "00abc", SLACK_BOT_TOKEN: "xoxb-1" }));

    const token = await loadOktaToken(client, arn, "OKTA_API_TOKEN");

    expect(Redacted.value(token)).toBe("00abc");
    expect(String(token)).not.toContain("00abc");
  });

  it("names the missing key when the secret lacks it", async () => {
    const arn = await secretWith("offboard-missing", JSON.stringify({ SLACK_BOT_TOKEN: "xoxb-1" }));

    const error = await loadOktaToken(client, arn, "OKTA_API_TOKEN").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OktaTokenSecretError);
    expect(String(error)).toContain("no non-empty string key OKTA_API_TOKEN");
    expect(String(error)).not.toContain("xoxb-1");
  });

  it("explains the expected shape when the secret is not JSON", async () => {
    const arn = await secretWith("offboard-plain", "00plain-token");

    const error = await loadOktaToken(client, arn, "OKTA_API_TOKEN").catch((e: unknown) => e);

    expect(String(error)).toContain("is not a JSON object");
    expect(String(error)).not.toContain("00plain-token");
  });

  it("says which secret could not be read when it does not exist", async () => {
    const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf";

    const error = await loadOktaToken(client, arn, "OKTA_API_TOKEN").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OktaTokenSecretError);
    expect(String(error)).toContain(arn);
  });

  it("runs the Lambda entry point end to end: token from Secrets Manager, stream created in Okta", async () => {
    const okta = await startFakeOkta("00token-from-secrets-manager");
    try {
      const arn = await secretWith("offboard-e2e", JSON.stringify({ OKTA_API_TOKEN: okta.token }));

      const res = await handler({
        RequestType: "Create",
        ResourceProperties: {
          OktaOrgUrl: okta.url,
          SecretArn: arn,
          Name: "offboard",
          AccountId: "123456789012",
          Region: "us-east-1",
          EventSourceName: "offboard",
        },
      });

      expect(okta.streams.get(res.PhysicalResourceId)?.status).toBe("ACTIVE");
    } finally {
      await okta.close();
    }
  });
});
