import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeNetworkCause } from "../src/network.ts";

/** Errors shaped the way Node's fetch (undici) and axios throw them. */
const fetchFailed = (cause: unknown) => Object.assign(new TypeError("fetch failed"), { cause });
const sysError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code} something`), { code, ...extra });

describe("describeNetworkCause", () => {
  it("names a refused connection with its address", () => {
    const e = fetchFailed(sysError("ECONNREFUSED", { address: "127.0.0.1", port: 4000 }));
    expect(describeNetworkCause(e)).toBe("connection refused (ECONNREFUSED 127.0.0.1:4000)");
  });

  it("finds the cause inside happy-eyeballs' AggregateError", () => {
    const e = fetchFailed(
      Object.assign(new AggregateError([sysError("ECONNREFUSED", { address: "::1", port: 443 })], ""), {
        code: undefined,
      }),
    );
    expect(describeNetworkCause(e)).toBe("connection refused (ECONNREFUSED ::1:443)");
  });

  it("names a DNS failure with the host", () => {
    const e = fetchFailed(sysError("ENOTFOUND", { hostname: "acme.atlassian.net" }));
    expect(describeNetworkCause(e)).toBe("host name not found (DNS) (ENOTFOUND acme.atlassian.net)");
  });

  it("names a TLS failure", () => {
    const e = fetchFailed(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }));
    expect(describeNetworkCause(e)).toBe("TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)");
  });

  it("names a proxy failure, with or without a code", () => {
    expect(describeNetworkCause(fetchFailed(new Error("Proxy response (407) !== 200 when HTTP Tunneling")))).toBe(
      "proxy: Proxy response (407) !== 200 when HTTP Tunneling",
    );
    expect(describeNetworkCause(fetchFailed(sysError("ERR_PROXY_TUNNEL")))).toBe(
      "proxy: ERR_PROXY_TUNNEL something (ERR_PROXY_TUNNEL)",
    );
  });

  it("looks through @slack/web-api's `original`", () => {
    const e = { code: "slack_webapi_request_error", original: fetchFailed(sysError("ECONNRESET")) };
    expect(describeNetworkCause(e)).toBe("connection reset (ECONNRESET)");
  });

  it("falls back to the underlying message when there is no code", () => {
    expect(describeNetworkCause(fetchFailed(new Error("bad port")))).toBe("bad port");
    expect(describeNetworkCause(new Error("fetch failed"))).toBeUndefined();
  });

  it("answers for any input, cyclic causes included, and never throws", () => {
    const cyclic: { cause?: unknown; message: string } = { message: "loop" };
    cyclic.cause = cyclic;
    expect(() => describeNetworkCause(cyclic)).not.toThrow();
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const out = describeNetworkCause(input);
        expect(out === undefined || typeof out === "string").toBe(true);
      }),
    );
  });
});
