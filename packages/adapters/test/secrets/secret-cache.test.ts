process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { inspect } from "node:util";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { useMoto } from "@offboard/testkit";
import { Effect, Redacted } from "effect";
import { TestClock } from "effect/testing";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type ConfigError, loadConfig, makeSecretCache, sinkSettings, slackSink } from "../../src/index.ts";

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const SLACK_TOKEN = "xoxb-fake_moto-secret-slack-token";
const ROTATED_TOKEN = "xoxb-fake_moto-rotated-slack-token";

const fixture = useMoto();
let client: SecretsManagerClient;
beforeAll(() => {
  client = fixture.client((config) => new SecretsManagerClient(config));
});

/** Every test's secret has a name of its own: the moto is shared by the run's test files. */
let secretSeq = 0;

/** Creates the secret in moto the way an operator would (JSON text) and returns its ARN. */
const createSecret = async (secretString: string, name = `offboard/settings-${++secretSeq}`): Promise<string> => {
  const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: secretString }));
  return out.ARN!;
};

const settingsJson = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_CHANNEL_ID: "C0123456789", ...overrides });

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect.pipe(Effect.provide(TestClock.layer())));
const fail = (effect: Effect.Effect<unknown, ConfigError>) => run(Effect.flip(effect));

describe("reading the secret through the AWS SDK", () => {
  it("returns every key of the JSON secret as a redacted value", async () => {
    const arn = await createSecret(settingsJson());
    const values = await run(makeSecretCache({ secretArn: arn, client }).get);
    expect([...values.keys()].sort()).toEqual(["SLACK_BOT_TOKEN", "SLACK_CHANNEL_ID"]);
    expect(Redacted.value(values.get("SLACK_BOT_TOKEN")!)).toBe(SLACK_TOKEN);
    expect(String(values.get("SLACK_BOT_TOKEN"))).not.toContain(SLACK_TOKEN);
    expect(inspect(values)).not.toContain(SLACK_TOKEN);
  });

  it("builds its own client from AWS_ENDPOINT_URL, AWS_REGION and the credential chain", async () => {
    const arn = await createSecret(settingsJson());
    const saved = { ...process.env };
    Object.assign(process.env, fixture.moto.env);
    try {
      const values = await run(makeSecretCache({ secretArn: arn }).get);
      expect(Redacted.value(values.get("SLACK_CHANNEL_ID")!)).toBe("C0123456789");
    } finally {
      for (const k of Object.keys(fixture.moto.env)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it("serves the value it holds until the TTL has passed, then sees the rotated value", async () => {
    const arn = await createSecret(settingsJson());
    const cache = makeSecretCache({ secretArn: arn, client, ttlMs: 60_000 });
    const tokens = await run(
      Effect.gen(function* () {
        const first = yield* cache.get;
        yield* Effect.promise(() =>
          client.send(
            new PutSecretValueCommand({
              SecretId: arn,
              SecretString: settingsJson({ SLACK_BOT_TOKEN: ROTATED_TOKEN }),
            }),
          ),
        );
        yield* TestClock.adjust("59 seconds");
        const withinTtl = yield* cache.get;
        yield* TestClock.adjust("2 seconds");
        const afterTtl = yield* cache.get;
        return [first, withinTtl, afterTtl].map((v) => Redacted.value(v.get("SLACK_BOT_TOKEN")!));
      }),
    );
    expect(tokens).toEqual([SLACK_TOKEN, SLACK_TOKEN, ROTATED_TOKEN]);
  });

  it("keeps serving the previous value when a refresh fails", async () => {
    const arn = await createSecret(settingsJson());
    const cache = makeSecretCache({ secretArn: arn, client, ttlMs: 1_000 });
    const token = await run(
      Effect.gen(function* () {
        yield* cache.get;
        yield* Effect.promise(() =>
          client.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true })),
        );
        yield* TestClock.adjust("2 seconds");
        return Redacted.value((yield* cache.get).get("SLACK_BOT_TOKEN")!);
      }),
    );
    expect(token).toBe(SLACK_TOKEN);
  });

  it("feeds loadConfig: the Slack sink is active from the secret alone", async () => {
    const arn = await createSecret(settingsJson());
    const config = await run(
      loadConfig({ env: { OFFBOARD_SECRET_ARN: arn }, secrets: makeSecretCache({ secretArn: arn, client }) }),
    );
    expect(sinkSettings(config, slackSink)?.channelId).toBe("C0123456789");
    expect(Redacted.value(sinkSettings(config, slackSink)!.token)).toBe(SLACK_TOKEN);
    expect(JSON.stringify(config)).not.toContain(SLACK_TOKEN);
  });
});

describe("a secret offboard cannot use", () => {
  it("names the ARN of a secret that does not exist", async () => {
    const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-missing-AbCdEf";
    const error = await fail(makeSecretCache({ secretArn: arn, client }).get);
    expect(error.message).toContain(
      `OFFBOARD_SECRET_ARN: Secrets Manager has no secret ${arn} (ResourceNotFoundException`,
    );
  });

  it("refuses a secret that is not JSON, without printing it", async () => {
    const arn = await createSecret(`SLACK_BOT_TOKEN=${SLACK_TOKEN}`);
    const error = await fail(makeSecretCache({ secretArn: arn, client }).get);
    expect(error.problems).toEqual([
      `OFFBOARD_SECRET_ARN: secret ${arn} is not JSON; store a JSON object such as {"SLACK_BOT_TOKEN": "xoxb-…"}`,
    ]);
    expect(inspect(error, { depth: 10 })).not.toContain(SLACK_TOKEN);
  });

  it("refuses JSON that is not an object", async () => {
    const arn = await createSecret(JSON.stringify([SLACK_TOKEN]));
    const error = await fail(makeSecretCache({ secretArn: arn, client }).get);
    expect(error.problems).toEqual([
      `OFFBOARD_SECRET_ARN: secret ${arn} must be a JSON object of setting names to strings, not an array`,
    ]);
    expect(error.message).not.toContain(SLACK_TOKEN);
  });

  it("names every key whose value is not a string", async () => {
    const arn = await createSecret(
      settingsJson({ OFFBOARD_CONCURRENCY: 8, JIRA_API_TOKEN: { value: "secret-in-object" } }),
    );
    const error = await fail(makeSecretCache({ secretArn: arn, client }).get);
    expect(error.problems).toEqual([
      `secret ${arn} key OFFBOARD_CONCURRENCY must be a string, not a number`,
      `secret ${arn} key JIRA_API_TOKEN must be a string, not an object`,
    ]);
    expect(inspect(error, { depth: 10 })).not.toContain("secret-in-object");
  });

  it("fails loadConfig with the secret's error", async () => {
    const arn = await createSecret("not json");
    const error = await fail(
      loadConfig({ env: { OFFBOARD_SECRET_ARN: arn }, secrets: makeSecretCache({ secretArn: arn, client }) }),
    );
    expect(error._tag).toBe("ConfigError");
    expect(error.message).toContain("is not JSON");
  });
});
