import {
  DeliveryLedger,
  HrisDirectory,
  makeInMemoryLedger,
  OktaUserStatus,
  PipelineConfig,
  processRecord,
  type Receipt,
  type Sink,
  sinksLayer,
} from "@offboard/core";
import { memorySink } from "@offboard/core/testing";
import { envelope, type FakeOkta, oktaEvent, oktaUser, startFakeOkta } from "@offboard/testkit";
import { Effect, Layer, Logger, Redacted } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  makeOktaClient,
  oktaUserStatusFromConfig,
  oktaUserStatusLayer,
  readOktaUserStatus,
} from "../../src/index.ts";

let okta: FakeOkta;
beforeEach(async () => {
  okta = await startFakeOkta();
});
afterEach(async () => {
  await okta.close();
});

/** A client on the fake Okta that does not really sleep between retries. */
const client = () =>
  makeOktaClient({
    orgUrl: okta.url,
    credentials: { type: "api-token", token: Redacted.make(okta.token) },
    sleep: async () => {},
  });

const read = (userId: string) => Effect.runPromise(Effect.result(readOktaUserStatus(client(), userId)));

describe("Okta user status over GET /api/v1/users/{id}", () => {
  it.each([
    ["ACTIVE", "active"],
    ["RECOVERY", "active"],
    ["PASSWORD_EXPIRED", "active"],
    ["LOCKED_OUT", "active"],
    ["SUSPENDED", "suspended"],
    ["DEPROVISIONED", "deprovisioned"],
    ["STAGED", "other"],
    ["PROVISIONED", "other"],
  ])("maps %s to %s", async (oktaStatus, expected) => {
    okta.users.set("00u1", oktaStatus);
    const result = await read("00u1");
    expect(result._tag === "Success" ? result.success : result.failure).toBe(expected);
    expect(okta.calls.at(-1)?.path).toBe("/api/v1/users/00u1");
  });

  it("maps a 404 E0000007 to deleted", async () => {
    const result = await read("00ugone");
    expect(result._tag === "Success" ? result.success : result.failure).toBe("deleted");
  });

  it("retries a 5xx and reads the status when Okta recovers", async () => {
    okta.users.set("00u2", "SUSPENDED");
    okta.failUsersNext(1, 503);
    const result = await read("00u2");
    expect(result._tag === "Success" ? result.success : result.failure).toBe("suspended");
  });

  it("fails with UserStatusError when Okta keeps answering 5xx", async () => {
    okta.users.set("00u3", "ACTIVE");
    okta.failUsersNext(10, 500);
    const result = await read("00u3");
    expect(result._tag).toBe("Failure");
    if (result._tag === "Failure") {
      expect(result.failure._tag).toBe("UserStatusError");
      expect(result.failure.message).toMatch(/500/);
    }
  });

  it("fails with UserStatusError (not deleted) when the credential is denied", async () => {
    okta.forbidAll();
    const result = await read("00u4");
    expect(result._tag).toBe("Failure");
  });
});

/** A ticket sink that records the step's ticket action (open/close/…), as the Jira sink acts on it. */
const ticketSink = () => {
  const opened: Array<string> = [];
  const sink: Sink = {
    name: "jira",
    deliver: (event, ctx) =>
      Effect.sync((): Receipt => {
        if (ctx.step?.ticket === "open") {
          opened.push(event.id);
          return { sink: "jira", ref: `IT-${opened.length}`, ticket: "open" };
        }
        return { sink: "jira", ref: "noop" };
      }),
  };
  return { sink, opened };
};

const runPipeline = async (userId: string) => {
  const jira = ticketSink();
  const logs: Array<string> = [];
  const logger = Logger.make(({ message }) => {
    logs.push((Array.isArray(message) ? message : [message]).map(String).join(" "));
  });
  const layer = Layer.mergeAll(
    PipelineConfig.layer({}),
    Layer.succeed(DeliveryLedger, makeInMemoryLedger()),
    HrisDirectory.none,
    sinksLayer([jira.sink, memorySink("slack")]),
    Logger.layer([logger]),
    oktaUserStatusLayer(client()),
  );
  const body = JSON.stringify(
    envelope(oktaEvent({ target: [oktaUser({ id: userId })], eventType: "user.lifecycle.deactivate" })),
  );
  const outcome = await Effect.runPromise(processRecord({ id: "r1", body }).pipe(Effect.provide(layer)));
  return { outcome, opened: jira.opened, logs };
};

describe("the pipeline with Okta's status over HTTP", () => {
  it("holds the ticket back when the events say deactivated but Okta says ACTIVE, and logs why", async () => {
    okta.users.set("00ustill", "ACTIVE");
    const { opened, logs } = await runPipeline("00ustill");
    expect(opened).toHaveLength(0);
    expect(logs.some((l) => l.includes("Okta says user 00ustill is active"))).toBe(true);
  });

  it("opens the ticket when Okta agrees (DEPROVISIONED)", async () => {
    okta.users.set("00uagree", "DEPROVISIONED");
    const { opened } = await runPipeline("00uagree");
    expect(opened).toHaveLength(1);
  });

  it("lets the events decide when Okta cannot be read (5xx), and logs it", async () => {
    okta.failUsersNext(10, 500);
    const { opened, logs } = await runPipeline("00udown");
    expect(opened).toHaveLength(1);
    expect(logs.some((l) => l.includes("unavailable"))).toBe(true);
  });
});

describe("oktaUserStatusFromConfig", () => {
  const configured = (env: Record<string, string | undefined>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const port = yield* OktaUserStatus;
        return port.configured ? yield* port.current("00ucfg") : "not configured";
      }).pipe(Effect.provide(oktaUserStatusFromConfig({}, env))),
    );

  it("is not configured without OKTA_ORG_URL or without a credential: the events decide", async () => {
    expect(await configured({ OKTA_API_TOKEN: "t" })).toBe("not configured");
    expect(await configured({ OKTA_ORG_URL: okta.url })).toBe("not configured");
    expect(await configured({ OKTA_ORG_URL: okta.url, OKTA_CLIENT_ID: "0oa1" })).toBe("not configured");
  });

  it("reads Okta over HTTP with OKTA_ORG_URL and OKTA_API_TOKEN", async () => {
    okta.users.set("00ucfg", "SUSPENDED");
    expect(await configured({ OKTA_ORG_URL: okta.url, OKTA_API_TOKEN: okta.token })).toBe("suspended");
  });

  it("refuses a wrong OKTA_ORG_URL with a ConfigError naming it", () => {
    expect(() =>
      oktaUserStatusFromConfig({}, { OKTA_ORG_URL: "http://evil.example.com", OKTA_API_TOKEN: "t" }),
    ).toThrow(ConfigError);
  });
});
