import { type Employee, HrisDirectory, HrisError } from "@offboard/core";
import { type Loopback, type Reply, startLoopback } from "@offboard/testkit";
import { Effect, Redacted } from "effect";
import { TestClock } from "effect/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BAMBOOHR_REPORT_FIELDS, BambooHrDirectory, makeBambooHrDirectory } from "../../src/bamboohr/directory.ts";
import type { BambooHrSettings } from "../../src/bamboohr/settings.ts";

const API_KEY = "bamboo-api-key-0123456789abcdef";

const settingsFor = (server: Loopback, overrides: Partial<BambooHrSettings> = {}): BambooHrSettings => ({
  companyDomain: "acme",
  apiKey: Redacted.make(API_KEY),
  baseUrl: server.url,
  cacheTtlMs: 300_000,
  timeoutMs: 2_000,
  ...overrides,
});

/** One row of BambooHR's custom report, as the JSON format returns it (ids and values as strings). */
const row = (overrides: Record<string, string | null> = {}) => ({
  id: "101",
  workEmail: "ada.lovelace@acme.com",
  status: "Active",
  terminationDate: "0000-00-00",
  department: "Engineering",
  supervisor: "Babbage, Charles",
  displayName: "Ada Lovelace",
  firstName: "Ada",
  lastName: "Lovelace",
  ...overrides,
});

/** The custom report's JSON shape: title, the fields asked for, one object per employee. */
const report = (employees: ReadonlyArray<unknown>): Reply => ({
  body: {
    title: "offboard HRIS cross-check",
    fields: BAMBOOHR_REPORT_FIELDS.map((id) => ({ id, type: "text", name: id })),
    employees,
  },
});

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const serve = async (reply: Reply | ((n: number) => Reply)) => {
  let n = 0;
  server = await startLoopback(() => {
    n += 1;
    return typeof reply === "function" ? reply(n) : reply;
  });
  return server;
};

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect.pipe(Effect.provide(TestClock.layer())));
const lookup = (settings: BambooHrSettings, email: string) => run(makeBambooHrDirectory(settings).findByEmail(email));
const lookupError = (settings: BambooHrSettings, email: string): Promise<HrisError> =>
  run(Effect.flip(makeBambooHrDirectory(settings).findByEmail(email)));

describe("the request to BambooHR", () => {
  it("asks for a custom JSON report under the company domain with Basic auth on the API key", async () => {
    const srv = await serve(report([row()]));
    await lookup(settingsFor(srv), "ada.lovelace@acme.com");
    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/api/gateway.php/acme/v1/reports/custom");
    expect(req.query.get("format")).toBe("JSON");
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${API_KEY}:x`).toString("base64")}`);
    expect(req.headers.accept).toBe("application/json");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.json).toEqual({
      title: "offboard HRIS cross-check",
      fields: [
        "id",
        "workEmail",
        "status",
        "terminationDate",
        "department",
        "supervisor",
        "displayName",
        "firstName",
        "lastName",
      ],
    });
  });

  it("keeps a path prefix of BAMBOOHR_BASE_URL (a proxy)", async () => {
    const srv = await serve(report([]));
    await lookup(settingsFor(srv, { baseUrl: `${srv.url}/bamboo/` }), "x@acme.com");
    expect(srv.requests[0]?.path).toBe("/bamboo/api/gateway.php/acme/v1/reports/custom");
  });
});

describe("looking up an employee", () => {
  it("returns an active employee with department and manager", async () => {
    const srv = await serve(report([row()]));
    const employee = await lookup(settingsFor(srv), "ada.lovelace@acme.com");
    expect(employee).toEqual<Employee>({
      id: "101",
      email: "ada.lovelace@acme.com",
      displayName: "Ada Lovelace",
      status: "active",
      department: "Engineering",
      manager: "Babbage, Charles",
    });
  });

  it("returns a terminated employee as inactive with the termination date", async () => {
    const srv = await serve(
      report([row({ id: "102", workEmail: "grace@acme.com", status: "Inactive", terminationDate: "2026-11-20" })]),
    );
    const employee = await lookup(settingsFor(srv), "grace@acme.com");
    expect(employee).toMatchObject({ id: "102", status: "inactive", terminationDate: "2026-11-20" });
  });

  it("keeps a future termination date of an employee who is still active", async () => {
    const srv = await serve(report([row({ terminationDate: "2027-01-31" })]));
    const employee = await lookup(settingsFor(srv), "ada.lovelace@acme.com");
    expect(employee).toMatchObject({ status: "active", terminationDate: "2027-01-31" });
  });

  it("matches the email whatever its case and surrounding spaces", async () => {
    const srv = await serve(report([row({ workEmail: "Ada.Lovelace@ACME.com" })]));
    const employee = await lookup(settingsFor(srv), "  ada.lovelace@acme.COM ");
    expect(employee?.id).toBe("101");
  });

  it("returns undefined for an email HR does not have", async () => {
    const srv = await serve(report([row(), row({ id: "103", workEmail: null })]));
    expect(await lookup(settingsFor(srv), "nobody@acme.com")).toBeUndefined();
  });

  it("prefers the active record when a rehired person has two", async () => {
    const srv = await serve(
      report([
        row({ id: "50", status: "Inactive", terminationDate: "2020-06-30" }),
        row({ id: "151", status: "Active" }),
        row({ id: "20", status: "Inactive", terminationDate: "2018-01-31" }),
      ]),
    );
    expect((await lookup(settingsFor(srv), "ada.lovelace@acme.com"))?.id).toBe("151");
  });

  it("builds a name from first and last name when the display name is not in the report", async () => {
    const srv = await serve(report([row({ displayName: null })]));
    expect((await lookup(settingsFor(srv), "ada.lovelace@acme.com"))?.displayName).toBe("Ada Lovelace");
  });

  it("is reachable through the core's HrisDirectory port", async () => {
    const srv = await serve(report([row()]));
    const employee = await Effect.runPromise(
      Effect.gen(function* () {
        const hris = yield* HrisDirectory;
        expect(hris.configured).toBe(true);
        return yield* hris.findByEmail("ada.lovelace@acme.com");
      }).pipe(Effect.provide(BambooHrDirectory.layer(settingsFor(srv)))),
    );
    expect(employee?.status).toBe("active");
  });
});

describe("failures become HrisError, never a throw", () => {
  it("classifies a rejected API key, with BambooHR's own message and without the key", async () => {
    const srv = await serve({ status: 401, headers: { "X-BambooHR-Error-Message": "Invalid API key" } });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error).toBeInstanceOf(HrisError);
    expect(error.message).toBe("BambooHR rejected the API key (401): Invalid API key");
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it("classifies a refused report", async () => {
    const srv = await serve({ status: 403, body: "" });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toBe("BambooHR refused the report: the API key's user lacks access (403)");
  });

  it("classifies an unknown company domain", async () => {
    const srv = await serve({ status: 404, body: "" });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toMatch(/^BambooHR has no company with this BAMBOOHR_COMPANY_DOMAIN/);
  });

  it("classifies a server error", async () => {
    const srv = await serve({ status: 500, headers: { "X-BambooHR-Error-Message": "Internal error" } });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toBe("BambooHR answered 500: Internal error");
  });

  it("gives up on a slow answer after the timeout", async () => {
    const srv = await serve({ ...report([row()]), delayMs: 3_000 });
    const error = await lookupError(settingsFor(srv, { timeoutMs: 100 }), "ada.lovelace@acme.com");
    expect(error.message).toBe("BambooHR did not answer within 100 ms");
  });

  it("classifies an unreachable server", async () => {
    const srv = await serve(report([]));
    const settings = settingsFor(srv);
    await srv.close();
    server = undefined;
    const error = await lookupError(settings, "ada.lovelace@acme.com");
    expect(error.message).toMatch(/^BambooHR is unreachable: connection refused \(ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
  });

  it("classifies a body that is not JSON", async () => {
    const srv = await serve({ status: 200, body: "<html>maintenance</html>" });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toBe("BambooHR answered 200 with a body that is not JSON");
  });

  it("classifies JSON that is not a report", async () => {
    const srv = await serve({ body: { error: "nope" } });
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toMatch(/^BambooHR's report has an unexpected shape/);
  });
  it("refuses a report without the status field rather than guess", async () => {
    const { status: _dropped, ...withoutStatus } = row();
    const srv = await serve(report([withoutStatus]));
    const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");
    expect(error.message).toBe(
      "BambooHR's report has no status field: the API key's user cannot see employment status",
    );
  });
});

describe("the directory cache", () => {
  it("answers a second lookup within the TTL without asking BambooHR again", async () => {
    const srv = await serve(report([row(), row({ id: "102", workEmail: "grace@acme.com" })]));
    const hris = makeBambooHrDirectory(settingsFor(srv, { cacheTtlMs: 60_000 }));
    const [first, second] = await run(
      Effect.gen(function* () {
        const a = yield* hris.findByEmail("ada.lovelace@acme.com");
        yield* TestClock.adjust("59 seconds");
        const b = yield* hris.findByEmail("grace@acme.com");
        return [a, b] as const;
      }),
    );
    expect([first?.id, second?.id]).toEqual(["101", "102"]);
    expect(srv.requests).toHaveLength(1);
  });

  it("reads the report again once the TTL has passed", async () => {
    const srv = await serve((n) =>
      report([row({ status: n === 1 ? "Active" : "Inactive", terminationDate: n === 1 ? null : "2026-11-29" })]),
    );
    const hris = makeBambooHrDirectory(settingsFor(srv, { cacheTtlMs: 60_000 }));
    const [before, after] = await run(
      Effect.gen(function* () {
        const a = yield* hris.findByEmail("ada.lovelace@acme.com");
        yield* TestClock.adjust("61 seconds");
        const b = yield* hris.findByEmail("ada.lovelace@acme.com");
        return [a, b] as const;
      }),
    );
    expect(before?.status).toBe("active");
    expect(after).toMatchObject({ status: "inactive", terminationDate: "2026-11-29" });
    expect(srv.requests).toHaveLength(2);
  });

  it("does not cache a failure", async () => {
    const srv = await serve((n) => (n === 1 ? { status: 503, body: "" } : report([row()])));
    const hris = makeBambooHrDirectory(settingsFor(srv));
    const [first, second] = await run(
      Effect.gen(function* () {
        const a = yield* Effect.flip(hris.findByEmail("ada.lovelace@acme.com"));
        const b = yield* hris.findByEmail("ada.lovelace@acme.com");
        return [a, b] as const;
      }),
    );
    expect(first.message).toBe("BambooHR answered 503");
    expect(second?.id).toBe("101");
  });

  it("shares one request between concurrent lookups", async () => {
    const srv = await serve({ ...report([row(), row({ id: "102", workEmail: "grace@acme.com" })]), delayMs: 50 });
    const hris = makeBambooHrDirectory(settingsFor(srv));
    const found = await run(
      Effect.all([hris.findByEmail("ada.lovelace@acme.com"), hris.findByEmail("grace@acme.com")], {
        concurrency: "unbounded",
      }),
    );
    expect(found.map((e) => e?.id)).toEqual(["101", "102"]);
    expect(srv.requests).toHaveLength(1);
  });
});

describe("redirects", () => {
  it("refuses a 307 to another origin: the other host never sees the API key or the request", async () => {
    const elsewhere = await startLoopback(() => report([row()]));
    try {
      const srv = await serve({
        status: 307,
        headers: { location: `${elsewhere.url}/api/gateway.php/acme/v1/reports/custom` },
      });

      const error = await lookupError(settingsFor(srv), "ada.lovelace@acme.com");

      expect(error.message).toContain(
        `refused a redirect (HTTP 307) from ${srv.url} to another origin, ${elsewhere.url}`,
      );
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it("follows a redirect within BambooHR's origin", async () => {
    const srv = await serve((n) =>
      n === 1
        ? { status: 308, headers: { location: "/api/gateway.php/acme/v1/reports/custom?format=JSON&moved=1" } }
        : report([row()]),
    );

    const found = await lookup(settingsFor(srv), "ada.lovelace@acme.com");

    expect(found?.email).toBe("ada.lovelace@acme.com");
    expect(srv.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
  });
});
