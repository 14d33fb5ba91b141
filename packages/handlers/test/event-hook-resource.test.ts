import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { makeOktaClient, oktaEventHooks } from "@offboard/adapters";
import { type FakeOkta, startFakeOkta } from "@offboard/testkit";
import { Redacted } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { handleEventHookEvent } from "../src/event-hook/hook-resource.ts";
import { makeEventHookReceiver } from "../src/event-hook/receiver.ts";
import type { CustomResourceEvent } from "../src/log-stream/log-stream-resource.ts";

let okta: FakeOkta;
let receiver: Server;
let receiverUrl: string;
const SECRET = "the-hook-secret-0123456789";

/** A receiver on loopback that knows `secret` (what the Function URL would run). */
const startReceiver = async (secret: string) => {
  const receive = makeEventHookReceiver({ secret: async () => secret, deliver: async () => {}, log: () => {} });
  receiver = createServer((req, res) => {
    void receive({ method: req.method ?? "GET", headers: req.headers as Record<string, string>, body: "" }).then(
      (out) => res.writeHead(out.statusCode, out.headers).end(out.body),
    );
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
};

const clients =
  (secret = SECRET) =>
  async () => ({
    hooks: oktaEventHooks(
      makeOktaClient({ orgUrl: okta.url, credentials: { type: "api-token", token: Redacted.make(okta.token) } }),
    ),
    secret,
  });

const event = (type: "Create" | "Update" | "Delete", physicalId?: string): CustomResourceEvent => ({
  RequestType: type,
  ...(physicalId !== undefined ? { PhysicalResourceId: physicalId } : {}),
  ResourceProperties: {
    OktaOrgUrl: okta.url,
    AdminSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:admin",
    HookSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hook",
    Uri: receiverUrl,
  },
});

beforeEach(async () => {
  okta = await startFakeOkta();
});
afterEach(async () => {
  await okta.close();
  await new Promise((r) => receiver.close(r));
});

describe("Custom::OktaEventHook", () => {
  it("registers the receiver for the handled event types and has Okta verify it", async () => {
    await startReceiver(SECRET);

    const res = await handleEventHookEvent(event("Create"), clients());

    const hook = okta.hooks.get(res.PhysicalResourceId);
    expect(hook?.verificationStatus).toBe("VERIFIED");
    expect(hook?.status).toBe("ACTIVE");
    expect(hook?.events.items).toContain("user.lifecycle.deactivate");
    expect(hook?.channel.config.authScheme).toMatchObject({ type: "HEADER", key: "Authorization", value: SECRET });
  });

  it("fails the deployment when the receiver does not answer the verification (wrong secret)", async () => {
    await startReceiver("another-secret-entirely-xx");

    const error = await handleEventHookEvent(event("Create"), clients()).catch((e: unknown) => e);

    expect(String(error)).toContain("Verification failed");
    expect(String(error)).not.toContain(SECRET);
  });

  it("deactivates and deletes the hook on Delete", async () => {
    await startReceiver(SECRET);
    const { PhysicalResourceId } = await handleEventHookEvent(event("Create"), clients());

    await handleEventHookEvent(event("Delete", PhysicalResourceId), clients());

    expect(okta.hooks.size).toBe(0);
  });
});
