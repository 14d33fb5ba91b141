import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeMrkdwn, oktaAdminUserUrl, whenText } from "../src/slack-message.ts";

const unescapeMrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("escapeMrkdwn", () => {
  it("turns Slack's control characters into entities", () => {
    expect(escapeMrkdwn("<!channel> & <https://evil|click>")).toBe("&lt;!channel&gt; &amp; &lt;https://evil|click&gt;");
  });

  it("leaves no < or > in any string and loses nothing", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const escaped = escapeMrkdwn(s);
        expect(escaped).not.toMatch(/[<>]/);
        expect(unescapeMrkdwn(escaped)).toBe(s);
      }),
    );
  });
});

describe("the Okta admin link", () => {
  it("points an okta.com org at its -admin host", () => {
    expect(oktaAdminUserUrl("https://acme.okta.com", "00u1")).toBe(
      "https://acme-admin.okta.com/admin/user/profile/view/00u1",
    );
  });

  it("keeps a custom domain as configured and encodes the user id", () => {
    expect(oktaAdminUserUrl("https://login.acme.example/", "a/b")).toBe(
      "https://login.acme.example/admin/user/profile/view/a%2Fb",
    );
  });

  it("is absent when the org URL is not a URL", () => {
    expect(oktaAdminUserUrl("acme", "00u1")).toBeUndefined();
  });
});

describe("the When field", () => {
  it("shows an unparseable Okta date as sent, escaped", () => {
    expect(whenText("<yesterday>", "Europe/Berlin")).toBe("&lt;yesterday&gt; (as sent by Okta)");
  });
});
