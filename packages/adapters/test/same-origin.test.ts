import { type Loopback, startLoopback } from "@offboard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { CrossOriginRedirectError, sameOriginFetch } from "../src/same-origin.ts";

const servers: Array<Loopback> = [];
const serve = async (...args: Parameters<typeof startLoopback>) => {
  const s = await startLoopback(...args);
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("sameOriginFetch", () => {
  it("refuses a 307 to another loopback port: the other origin receives nothing", async () => {
    const elsewhere = await serve(() => ({ body: { ok: true } }));
    const vendor = await serve(() => ({ status: 307, headers: { location: `${elsewhere.url}/steal` } }));

    const error = await sameOriginFetch()(`${vendor.url}/api`, {
      method: "POST",
      headers: { Authorization: "Basic c2VjcmV0" },
      body: JSON.stringify({ name: "Jane Doe" }),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CrossOriginRedirectError);
    expect(String(error)).toContain(`from ${vendor.url} to another origin, ${elsewhere.url}`);
    expect(elsewhere.requests).toEqual([]);
  });

  it("follows a same-origin 307 with the method and body, and a 303 as a GET", async () => {
    const vendor = await serve((req) =>
      req.path === "/old"
        ? { status: 307, headers: { location: "/new" } }
        : req.path === "/new"
          ? { status: 303, headers: { location: "/done" } }
          : { body: { ok: true } },
    );

    const res = await sameOriginFetch()(`${vendor.url}/old`, { method: "POST", body: '{"a":1}' });

    expect(res.status).toBe(200);
    expect(vendor.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      'POST /old {"a":1}',
      'POST /new {"a":1}',
      "GET /done ",
    ]);
  });

  it("stops after five redirects", async () => {
    const vendor = await serve((req) => ({ status: 302, headers: { location: `${req.path}x` } }));

    await expect(sameOriginFetch()(`${vendor.url}/a`)).rejects.toThrow(/more than 5 redirects/);
  });
});
