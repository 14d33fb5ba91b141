import { generateKeyPairSync } from "node:crypto";
import { type FakeOkta, fakeLogEvent, type Loopback, startFakeOkta, startLoopback } from "@offboard/testkit";
import { Redacted } from "effect";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  makeOktaClient,
  OktaApiError,
  OktaAuthError,
  type OktaClientOptions,
  OktaRequestRefusedError,
  oktaSystemLog,
  readOktaSettings,
  redactCredentials,
} from "../src/index.ts";

let okta: FakeOkta;
let sleeps: Array<number>;
let clock: number;

beforeEach(async () => {
  okta = await startFakeOkta();
  sleeps = [];
  clock = Date.now();
});
afterEach(async () => {
  await okta.close();
});

/** A client on the fake Okta whose waits are recorded and advance a virtual clock instead of sleeping. */
const client = (overrides: Partial<OktaClientOptions> = {}) =>
  makeOktaClient({
    orgUrl: okta.url,
    credentials: { type: "api-token", token: Redacted.make(okta.token) },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    ...overrides,
  });

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

describe("transport rules", () => {
  it("refuses a plain-http org URL that is not loopback, before sending anything", () => {
    expect(() =>
      makeOktaClient({ orgUrl: "http://acme.okta.com", credentials: { type: "api-token", token: Redacted.make("x") } }),
    ).toThrow(OktaRequestRefusedError);
  });

  it("refuses a host that is neither an Okta domain nor a declared custom domain", () => {
    const make = (customDomains: ReadonlyArray<string>) =>
      makeOktaClient({
        orgUrl: "https://login.acme.com",
        customDomains,
        credentials: { type: "api-token", token: Redacted.make("x") },
      });
    expect(() => make([])).toThrow(/not an Okta org domain/);
    expect(make(["login.acme.com"]).origin).toBe("https://login.acme.com");
  });

  it("refuses a redirect to another origin, and the other origin never sees the credential", async () => {
    const elsewhere = await startLoopback(() => ({ status: 200, body: [] }));
    const redirecting = await startLoopback(() => ({
      status: 307,
      headers: { location: `${elsewhere.url}/api/v1/logs` },
    }));
    try {
      const c = makeOktaClient({
        orgUrl: redirecting.url,
        credentials: { type: "api-token", token: Redacted.make("00secret-token") },
      });
      const error = await c.request("read the System Log", "GET", "/api/v1/logs").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OktaRequestRefusedError);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
      await redirecting.close();
    }
  });

  it("follows a redirect within the org's origin", async () => {
    let server: Loopback | undefined;
    server = await startLoopback((req) =>
      req.path === "/old"
        ? { status: 308, headers: { location: `${server?.url}/new` } }
        : { status: 200, body: { ok: 1 } },
    );
    try {
      const c = makeOktaClient({ orgUrl: server.url, credentials: { type: "api-token", token: Redacted.make("t") } });
      const res = await c.request("x", "GET", "/old");
      expect(res.json).toEqual({ ok: 1 });
      expect(server.requests.map((r) => r.path)).toEqual(["/old", "/new"]);
    } finally {
      await server.close();
    }
  });

  it("refuses a next link that points outside the org", async () => {
    const error = await client()
      .request("read the System Log", "GET", "https://evil.example/api/v1/logs")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OktaRequestRefusedError);
    expect(okta.calls).toHaveLength(0);
  });
});

describe("errors from Okta", () => {
  it("bounds errorSummary and errorCauses and redacts a token echoed in them", async () => {
    const token = "00abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
    const server = await startLoopback(() => ({
      status: 400,
      body: {
        errorCode: "E0000001",
        errorSummary: `Api validation failed: Authorization: SSWS ${token} ${"x".repeat(5000)}`,
        errorCauses: Array.from({ length: 50 }, (_, i) => ({ errorSummary: `cause ${i} token=${token}` })),
        errorId: "oae123",
      },
    }));
    try {
      const c = makeOktaClient({ orgUrl: server.url, credentials: { type: "api-token", token: Redacted.make(token) } });
      const error = await c.request("create a thing", "POST", "/api/v1/things", {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OktaApiError);
      const message = (error as OktaApiError).message;
      expect(message).not.toContain(token);
      expect(message).toContain("E0000001");
      expect(message).toContain("and 47 more");
      expect(message.length).toBeLessThan(1200);
      expect((error as OktaApiError).failure).toBe("permanent");
    } finally {
      await server.close();
    }
  });

  it("never quotes a body that is not Okta's error object", async () => {
    const server = await startLoopback(() => ({
      status: 502,
      body: `<html>proxy said SSWS 00leaked${"y".repeat(40)}</html>`,
    }));
    try {
      const c = makeOktaClient({
        orgUrl: server.url,
        credentials: { type: "api-token", token: Redacted.make("t") },
        maxAttempts: 1,
      });
      const error = await c.request("read", "GET", "/api/v1/logs").catch((e: unknown) => e);
      expect(String((error as Error).message)).not.toContain("leaked");
      expect((error as { failure: string }).failure).toBe("transient");
    } finally {
      await server.close();
    }
  });

  it("classifies a 401 as a permanent auth error naming the key to fix", async () => {
    const c = client({ credentials: { type: "api-token", token: Redacted.make("00wrong") } });
    const error = await c.request("read the System Log", "GET", "/api/v1/logs").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OktaAuthError);
    expect((error as OktaAuthError).message).toContain("OKTA_API_TOKEN");
  });

  it("redacts any credential-like value whatever surrounds it", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.stringMatching(/^00[A-Za-z0-9_-]{40}$/), (before, after, token) => {
        const out = redactCredentials(`${before}SSWS ${token} ${after}`, []);
        expect(out).not.toContain(token);
      }),
    );
  });
});

describe("rate limits", () => {
  it("retries a 429 after X-Rate-Limit-Reset, measured against the server's Date", async () => {
    okta.rateLimitNext(1, 7);
    const res = await client().request("read the System Log", "GET", `/api/v1/logs?since=${at(5)}`);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([7000]);
  });

  it("pauses before Okta's window is spent instead of running into a 429", async () => {
    okta.rateLimitPerMinute = 3;
    okta.now = () => clock;
    const c = client();
    for (let i = 0; i < 5; i++) await c.request("read the System Log", "GET", `/api/v1/logs?since=${at(5)}`);
    expect(c.stats.rateLimited).toBe(0);
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it("keeps to its own requests-per-minute cap", async () => {
    const c = client({ maxRequestsPerMinute: 2 });
    for (let i = 0; i < 3; i++) await c.request("read the System Log", "GET", `/api/v1/logs?since=${at(5)}`);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(59_000);
  });
});

describe("the System Log", () => {
  const lifecycle = (n: number) =>
    Array.from({ length: n }, (_, i) => fakeLogEvent("user.lifecycle.deactivate", at(60 - i / 100)));

  it("filters server-side on the event types and follows only Okta's next links", async () => {
    okta.addEvents(...lifecycle(5));
    okta.addEvents(fakeLogEvent("user.session.start", at(30)), ...lifecycle(4));
    const reader = oktaSystemLog(client());
    const seen: Array<unknown> = [];

    const result = await reader.readAll(
      { since: at(120), eventTypes: ["user.lifecycle.deactivate"], limit: 3 },
      async (page) => {
        seen.push(...page.events);
      },
    );

    expect(seen).toHaveLength(9);
    const logCalls = okta.calls.filter((c) => c.path === "/api/v1/logs");
    expect(logCalls[0]?.query.get("filter")).toBe('eventType eq "user.lifecycle.deactivate"');
    expect(logCalls[0]?.query.get("sortOrder")).toBe("ASCENDING");
    expect(logCalls[0]?.query.has("until")).toBe(false);
    // 3 full pages, then an empty page that still carries next: the checkpoint.
    expect(logCalls).toHaveLength(4);
    expect(result.next).toBeDefined();
  });

  it("resumes from a checkpoint and sees only events persisted since, even with an earlier published", async () => {
    okta.addEvents(...lifecycle(2));
    const reader = oktaSystemLog(client());
    const first = await reader.readAll({ since: at(120) }, async () => {});
    okta.addEvents(fakeLogEvent("user.lifecycle.suspend", at(90)));

    const seen: Array<unknown> = [];
    await reader.readAll({ next: first.next ?? "" }, async (p) => {
      seen.push(...p.events);
    });

    expect(seen).toHaveLength(1);
  });

  it("ends a bounded query when Okta sends no next link", async () => {
    okta.addEvents(...lifecycle(5));
    const reader = oktaSystemLog(client());
    const result = await reader.readAll({ since: at(120), until: at(0), limit: 2 }, async () => {});
    expect(result.events).toBe(5);
    expect(result.pages).toBe(3);
  });

  it("refuses a since more than 180 days back before asking Okta", () => {
    const reader = oktaSystemLog(client());
    expect(() => reader.firstRequest({ since: at(181 * 24 * 60) })).toThrow(/180 days/);
    expect(okta.calls).toHaveLength(0);
  });
});

describe("OAuth 2.0 service app (private_key_jwt)", () => {
  for (const type of ["rsa", "ec"] as const) {
    it(`gets a bearer token with a ${type.toUpperCase()} key and reuses it`, async () => {
      const pair =
        type === "rsa"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 })
          : generateKeyPairSync("ec", { namedCurve: "P-256" });
      okta.registerServiceApp("0oaservice", pair.publicKey);
      const c = client({
        credentials: {
          type: "service-app",
          clientId: "0oaservice",
          privateKey: Redacted.make(pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
        },
      });

      await c.request("read the System Log", "GET", `/api/v1/logs?since=${at(5)}`);
      await c.request("read the System Log", "GET", `/api/v1/logs?since=${at(5)}`);

      expect(okta.calls.filter((x) => x.path === "/oauth2/v1/token")).toHaveLength(1);
      const token = okta.calls.find((x) => x.path === "/oauth2/v1/token")?.body as Record<string, string>;
      expect(token.scope).toBe("okta.logs.read okta.users.read");
      expect(
        okta.calls.filter((x) => x.path === "/api/v1/logs").every((x) => x.authorization?.startsWith("Bearer ")),
      ).toBe(true);
    });
  }

  it("accepts the key as a JWK", async () => {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    okta.registerServiceApp("0oajwk", pair.publicKey);
    const jwk = JSON.stringify({ ...pair.privateKey.export({ format: "jwk" }), kid: "k1" });
    const c = client({ credentials: { type: "service-app", clientId: "0oajwk", privateKey: Redacted.make(jwk) } });
    expect((await c.request("read", "GET", `/api/v1/logs?since=${at(5)}`)).status).toBe(200);
  });

  it("reports a key Okta does not know as an auth error without quoting the key", async () => {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const c = client({ credentials: { type: "service-app", clientId: "0oaunknown", privateKey: Redacted.make(pem) } });
    const error = await c.request("read", "GET", "/api/v1/logs").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OktaAuthError);
    expect((error as Error).message).toContain("invalid_client");
    expect((error as Error).message).not.toContain("PRIVATE KEY");
  });
});

describe("settings", () => {
  it("lists every problem at once", () => {
    expect(() => readOktaSettings({ OKTA_ORG_URL: "http://acme.okta.com", OKTA_MAX_REQUESTS_PER_MINUTE: "0" })).toThrow(
      /https[\s\S]*credential[\s\S]*OKTA_MAX_REQUESTS_PER_MINUTE/,
    );
  });

  it("prefers the service app when both credentials are set, and defaults the cap to 25", () => {
    const s = readOktaSettings({
      OKTA_ORG_URL: "https://acme.okta.com",
      OKTA_API_TOKEN: "00x",
      OKTA_CLIENT_ID: "0oa1",
      OKTA_PRIVATE_KEY: "pem",
    });
    expect(s.credentials.type).toBe("service-app");
    expect(s.maxRequestsPerMinute).toBe(25);
  });
});
