import { makeOktaLogStreamClient, nextLink, retryDelayMs } from "@offboard/adapters";
import { type FakeOkta, startFakeOkta } from "@offboard/testkit";
import { Redacted } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogStreamConfigError, OktaAuthError, OktaRetriesExhaustedError } from "../src/log-stream/errors.ts";
import {
  type CustomResourceEvent,
  handleLogStreamEvent,
  type LogStreamProperties,
} from "../src/log-stream/log-stream-resource.ts";

let okta: FakeOkta;
let sleeps: Array<number>;

beforeEach(async () => {
  okta = await startFakeOkta();
  sleeps = [];
});
afterEach(async () => {
  await okta.close();
});

// Factories ---------------------------------------------------------------------------------------

const properties = (overrides: Partial<Record<string, string>> = {}): Record<string, string> => ({
  ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:provider",
  OktaOrgUrl: okta.url,
  SecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
  Name: "offboard",
  AccountId: "123456789012",
  Region: "us-east-1",
  EventSourceName: "offboard",
  ...overrides,
});

const createEvent = (props = properties()): CustomResourceEvent => ({
  RequestType: "Create",
  LogicalResourceId: "OktaLogStream",
  ResourceProperties: props,
});

const updateEvent = (physicalId: string, before: Record<string, string>, after: Record<string, string>) =>
  ({
    RequestType: "Update",
    LogicalResourceId: "OktaLogStream",
    PhysicalResourceId: physicalId,
    OldResourceProperties: before,
    ResourceProperties: after,
  }) satisfies CustomResourceEvent;

const deleteEvent = (physicalId: string, props = properties()): CustomResourceEvent => ({
  RequestType: "Delete",
  LogicalResourceId: "OktaLogStream",
  PhysicalResourceId: physicalId,
  ResourceProperties: props,
});

const clientFor =
  (token = okta.token, maxAttempts = 4) =>
  async (props: LogStreamProperties) =>
    makeOktaLogStreamClient({
      orgUrl: props.oktaOrgUrl,
      token: Redacted.make(token),
      maxAttempts,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

const run = (event: CustomResourceEvent, token?: string, maxAttempts?: number) =>
  handleLogStreamEvent(event, clientFor(token, maxAttempts));

const mutatingCalls = () => okta.calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path}`);

// Create / adopt ----------------------------------------------------------------------------------

describe("Create", () => {
  it("creates an aws_eventbridge stream with the requested settings when none has that name", async () => {
    const res = await run(createEvent());

    const stream = okta.streams.get(res.PhysicalResourceId);
    expect(stream).toMatchObject({
      name: "offboard",
      type: "aws_eventbridge",
      status: "ACTIVE",
      settings: { accountId: "123456789012", region: "us-east-1", eventSourceName: "offboard" },
    });
    expect(res.Data).toEqual({
      LogStreamId: res.PhysicalResourceId,
      LogStreamName: "offboard",
      Status: "ACTIVE",
      EventSourceName: "offboard",
      Adopted: "false",
    });
  });

  it("activates a newly created stream that Okta returns inactive", async () => {
    okta.createdStatus = "INACTIVE";

    const res = await run(createEvent());

    expect(okta.streams.get(res.PhysicalResourceId)?.status).toBe("ACTIVE");
    expect(mutatingCalls()).toEqual([
      "POST /api/v1/logStreams",
      `POST /api/v1/logStreams/${res.PhysicalResourceId}/lifecycle/activate`,
    ]);
  });

  it("adopts an existing stream with the same name and settings instead of failing", async () => {
    const existing = okta.seed({
      name: "offboard",
      settings: { accountId: "123456789012", region: "us-east-1", eventSourceName: "offboard" },
    });

    const res = await run(createEvent());

    expect(res.PhysicalResourceId).toBe(existing.id);
    expect(res.Data?.Adopted).toBe("true");
    expect(mutatingCalls()).toEqual([]);
    expect(okta.streams.size).toBe(1);
  });

  it("reactivates an adopted stream that was inactive", async () => {
    const existing = okta.seed({
      name: "offboard",
      status: "INACTIVE",
      settings: { accountId: "123456789012", region: "us-east-1", eventSourceName: "offboard" },
    });

    await run(createEvent());

    expect(okta.streams.get(existing.id)?.status).toBe("ACTIVE");
  });

  it("finds a same-named stream on a later page by following the Link header", async () => {
    okta.pageSize = 1;
    okta.seed({ name: "someone-elses" });
    const existing = okta.seed({
      name: "offboard",
      settings: { accountId: "123456789012", region: "us-east-1", eventSourceName: "offboard" },
    });

    const res = await run(createEvent());

    expect(res.PhysicalResourceId).toBe(existing.id);
    expect(okta.calls.filter((c) => c.method === "GET" && c.query.get("after") !== null)).toHaveLength(1);
  });

  it("refuses to adopt a same-named stream whose write-once settings differ, naming both", async () => {
    okta.seed({
      name: "offboard",
      settings: { accountId: "999999999999", region: "eu-west-1", eventSourceName: "offboard" },
    });

    const error = await run(createEvent()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LogStreamConfigError);
    expect(String(error)).toContain("999999999999");
    expect(String(error)).toContain("123456789012");
    expect(mutatingCalls()).toEqual([]);
  });

  it("rejects a resource without a Name, naming the missing property", async () => {
    const { Name: _omit, ...rest } = properties();

    const error = await run(createEvent(rest)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LogStreamConfigError);
    expect(String(error)).toContain("property Name is missing");
    expect(okta.calls).toHaveLength(0);
  });

  it("rejects an event source name Okta would not accept", async () => {
    const error = await run(createEvent(properties({ EventSourceName: "has spaces" }))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LogStreamConfigError);
    expect(String(error)).toContain("EventSourceName");
  });

  it("refuses to send the token over plain http, or to a host that is not an Okta org, before calling anything", async () => {
    for (const OktaOrgUrl of ["http://acme.okta.com", "https://acme.example.com"]) {
      const error = await run(createEvent(properties({ OktaOrgUrl }))).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(LogStreamConfigError);
      expect(String(error)).toContain("OktaOrgUrl");
    }
    expect(okta.calls).toHaveLength(0);
  });
});

// Update ------------------------------------------------------------------------------------------

describe("Update", () => {
  it("renames the stream in place, repeating its write-once settings in the PUT", async () => {
    const created = await run(createEvent());

    const res = await run(updateEvent(created.PhysicalResourceId, properties(), properties({ Name: "offboard-prod" })));

    expect(res.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(okta.streams.get(created.PhysicalResourceId)?.name).toBe("offboard-prod");
    const put = okta.calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({
      type: "aws_eventbridge",
      name: "offboard-prod",
      settings: { accountId: "123456789012", region: "us-east-1", eventSourceName: "offboard" },
    });
  });

  it("replaces the stream (new physical id) when the event source name and the name change", async () => {
    const created = await run(createEvent());

    const res = await run(
      updateEvent(
        created.PhysicalResourceId,
        properties(),
        properties({ Name: "offboard-2", EventSourceName: "offboard2" }),
      ),
    );

    expect(res.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
    expect(okta.streams.get(res.PhysicalResourceId)?.settings.eventSourceName).toBe("offboard2");
    // The old stream is left for CloudFormation's cleanup Delete.
    expect(okta.streams.has(created.PhysicalResourceId)).toBe(true);
  });

  it("explains that the name must change too when a write-once setting changes under the same name", async () => {
    const created = await run(createEvent());

    const error = await run(
      updateEvent(created.PhysicalResourceId, properties(), properties({ Region: "eu-west-1" })),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LogStreamConfigError);
    expect(String(error)).toContain("Change the stream name as well");
    expect(okta.streams.get(created.PhysicalResourceId)?.settings.region).toBe("us-east-1");
  });

  it("recreates the stream when it was deleted outside CloudFormation", async () => {
    const created = await run(createEvent());
    okta.streams.delete(created.PhysicalResourceId);

    const res = await run(updateEvent(created.PhysicalResourceId, properties(), properties()));

    expect(okta.streams.get(res.PhysicalResourceId)?.status).toBe("ACTIVE");
  });
});

// Delete ------------------------------------------------------------------------------------------

describe("Delete", () => {
  it("deactivates the stream and then deletes it", async () => {
    const created = await run(createEvent());
    okta.calls.length = 0;

    await run(deleteEvent(created.PhysicalResourceId));

    expect(okta.streams.size).toBe(0);
    expect(mutatingCalls()).toEqual([
      `POST /api/v1/logStreams/${created.PhysicalResourceId}/lifecycle/deactivate`,
      `DELETE /api/v1/logStreams/${created.PhysicalResourceId}`,
    ]);
  });

  it("succeeds when the stream is already gone", async () => {
    const res = await run(deleteEvent("0oaGone1234567890abc"));

    expect(res.PhysicalResourceId).toBe("0oaGone1234567890abc");
    expect(mutatingCalls()).toEqual([]);
  });

  it("succeeds without calling Okta when the Create had failed (physical id is not an Okta id)", async () => {
    const res = await run(deleteEvent("4d6f0a5e-2b51-4b77-9c1e-0d6c9a0c2f11", { Name: "" }));

    expect(res.PhysicalResourceId).toBe("4d6f0a5e-2b51-4b77-9c1e-0d6c9a0c2f11");
    expect(okta.calls).toHaveLength(0);
  });
});

// Rate limits and credentials ---------------------------------------------------------------------

describe("Okta errors", () => {
  it("retries a 429 after waiting until x-rate-limit-reset, measured against the server's Date", async () => {
    okta.rateLimitNext(1, 7);

    const res = await run(createEvent());

    expect(okta.streams.has(res.PhysicalResourceId)).toBe(true);
    // The fake server's clock is an hour behind ours: only the Date header gives the right wait.
    expect(sleeps).toEqual([7000]);
  });

  it("gives up with a clear error once the retry budget is spent", async () => {
    okta.rateLimitNext(10, 1);

    const error = await run(createEvent(), undefined, 3).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OktaRetriesExhaustedError);
    expect(String(error)).toContain("after 3 attempts");
    expect(String(error)).toContain("E0000047");
    expect(sleeps).toHaveLength(2);
  });

  it("reports an invalid token as an auth error that names the secret key and hides the token", async () => {
    const wrong = "00wrong-token-that-must-not-leak";

    const error = await run(createEvent(), wrong).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OktaAuthError);
    expect((error as OktaAuthError).status).toBe(401);
    expect(String(error)).toContain("OKTA_API_TOKEN");
    expect(String(error)).toContain("E0000011");
    expect(String(error)).not.toContain(wrong);
  });

  it("reports a token without log-stream permission as a 403 auth error that says which role is needed", async () => {
    okta.forbidAll();

    const error = await run(createEvent()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OktaAuthError);
    expect((error as OktaAuthError).status).toBe(403);
    expect(String(error)).toContain("super administrator");
  });

  it("does not retry a 400 validation error and carries Okta's error causes", async () => {
    okta.seed({ name: "a" });
    okta.seed({ name: "b" });

    const error = await run(createEvent()).catch((e: unknown) => e);

    expect(String(error)).toContain("Maximum number of log streams reached");
    expect(okta.calls.filter((c) => c.method === "POST")).toHaveLength(1);
  });
});

describe("retryDelayMs and nextLink", () => {
  it("falls back to Retry-After, then to exponential backoff, within bounds", () => {
    expect(retryDelayMs(new Headers({ "retry-after": "3" }), 1, 60_000)).toBe(3000);
    expect(retryDelayMs(new Headers(), 3, 60_000)).toBe(4000);
    expect(retryDelayMs(new Headers(), 10, 60_000)).toBe(60_000);
  });

  it("reads the next link among several relations", () => {
    expect(nextLink('<https://x/a?after=1>; rel="self", <https://x/a?after=2>; rel="next"')).toBe(
      "https://x/a?after=2",
    );
    expect(nextLink('<https://x/a>; rel="self"')).toBeUndefined();
  });
});
