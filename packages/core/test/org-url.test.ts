import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkOktaOrgUrl } from "../src/index.ts";
import { isLoopbackHost } from "../src/okta/org-url.ts";

/** URL-shaped strings: any scheme, credentials, host and path, so the checks meet their edge cases. */
const urlLike = fc
  .tuple(
    fc.constantFrom("https", "http", "ftp", "HTTPS", ""),
    fc.constantFrom("", "u:p@", "u@"),
    fc.oneof(
      fc.constantFrom(
        "acme.okta.com",
        "okta.com",
        "127.0.0.1",
        "localhost",
        "[::1]",
        "evil.example",
        "a.okta.com.evil",
      ),
      fc.domain(),
    ),
    fc.constantFrom("", ":8443", ":0", ":99999"),
    fc.string({ maxLength: 20 }),
  )
  .map(([scheme, auth, host, port, path]) => `${scheme}://${auth}${host}${port}/${path}`);

describe("checkOktaOrgUrl", () => {
  it.each([
    "https://acme.okta.com",
    "https://acme.oktapreview.com/",
    "https://acme.okta-emea.com/some/path?q=1",
    "https://acme.okta-gov.com",
    "https://acme.okta.mil",
  ])("accepts the Okta org %s and keeps only its origin", (value) => {
    const check = checkOktaOrgUrl(value);
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.url.href).toBe(`${new URL(value).origin}/`);
  });

  it("refuses plain http to a real host, so a token never travels in cleartext", () => {
    const check = checkOktaOrgUrl("http://acme.okta.com");
    expect(check).toMatchObject({ ok: false, message: expect.stringContaining("must be https") });
  });

  it("accepts plain http only for loopback hosts", () => {
    for (const url of ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"]) {
      expect(checkOktaOrgUrl(url)).toMatchObject({ ok: true, loopback: true });
    }
  });

  it("refuses a host outside Okta's domains unless it is declared as a custom domain", () => {
    expect(checkOktaOrgUrl("https://evil.example.com")).toMatchObject({ ok: false });
    expect(checkOktaOrgUrl("https://okta.com.evil.example")).toMatchObject({ ok: false });
    expect(checkOktaOrgUrl("https://login.acme.com", { customDomains: ["Login.Acme.com"] })).toMatchObject({
      ok: true,
    });
  });

  it("refuses credentials in the URL, other schemes and non-URLs with a message", () => {
    expect(checkOktaOrgUrl("https://u:p@acme.okta.com")).toMatchObject({ ok: false });
    expect(checkOktaOrgUrl("ftp://acme.okta.com")).toMatchObject({ ok: false });
    expect(checkOktaOrgUrl("acme")).toMatchObject({ ok: false, message: expect.stringContaining("not a URL") });
  });

  it("never throws and only accepts https or loopback, for any input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), urlLike), (value) => {
        const check = checkOktaOrgUrl(value);
        if (check.ok) expect(check.url.protocol === "https:" || isLoopbackHost(check.url.hostname)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
