/**
 * What reaches people in Slack: user-controlled values (names, logins, the reason, ids) carry no
 * invisible or reordering characters, cannot restyle the alert with mrkdwn, and cannot break out of the
 * code spans the ids are shown in. Checked on the built alert, for chosen and for any input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPlainAlert, buildSlackAlert, type SlackAlert, safe } from "../../src/slack/message.ts";
import { deliveryContext, offboardingEvent } from "../slack-jira.factories.ts";

const SETTINGS = { timeZone: "UTC", oktaOrgUrl: "https://acme.okta.com" };

/** Every text a person can see: the fallback and each mrkdwn/plain_text object. */
const texts = (alert: SlackAlert): Array<string> => {
  const out = [alert.text];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (typeof o.text === "string") out.push(o.text);
      for (const [k, x] of Object.entries(o)) if (k !== "text") visit(x);
      if (typeof o.text === "object") visit(o.text);
    }
  };
  visit(alert.blocks);
  return out;
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
const INVISIBLE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/;

const hostileEvent = (value: string) =>
  offboardingEvent({
    subject: { id: `00u${value}`, login: `${value}@acme.com`, displayName: value, type: "User" },
    actor: { id: "00uadmin", login: "admin@acme.com", displayName: value, type: "User" },
    reason: value,
  });

describe("user-controlled text in the Slack alert", () => {
  it("has bidi overrides, zero-width and control characters removed", () => {
    const event = hostileEvent("Mallory\u202Egnp.exe\u200B\u2066x\u2069\u0007\u001b[31m");
    const alert = buildSlackAlert(event, deliveryContext(event), SETTINGS);

    for (const t of texts(alert)) expect(t).not.toMatch(INVISIBLE);
    expect(alert.text).toContain("Mallorygnp.exex");
  });

  it("cannot bold, italicise, strike or open a code span", () => {
    const value = "*BOSS* _urgent_ ~void~ `rm -rf` ＊x＊";
    const event = hostileEvent(value);
    const alert = buildSlackAlert(event, deliveryContext(event), SETTINGS);
    const user = texts(alert).find((t) => t.startsWith("*User*"));

    expect(user).toBe("*User*\n∗BOSS∗ ˍurgentˍ ∼void∼ ˋrm -rfˋ ﹡x﹡");
  });

  it("keeps the code span around an event id closed whatever the id holds", () => {
    const event = offboardingEvent({ id: "abc` *pwned* `<!channel>" });
    const alert = buildSlackAlert(event, deliveryContext(event), SETTINGS);
    const context = texts(alert).find((t) => t.startsWith("Okta event"))!;

    expect(context.startsWith("Okta event `abcˋ ∗pwned∗ ˋ&lt;!channel&gt;`")).toBe(true);
    expect(buildPlainAlert(event, deliveryContext(event), SETTINGS)).toContain(
      "Okta event `abcˋ ∗pwned∗ ˋ&lt;!channel&gt;`",
    );
  });

  it("cannot start a block quote", () => {
    expect(safe("> quoted")).toBe("\u00AD&gt; quoted");
  });

  it("for any value: no raw < > or formatting character, nothing invisible, balanced code spans", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom("a", " ", "*", "_", "~", "`", "<", ">", "&", "\n", "\u202E", "\u200B", "\u0000", "😀"),
        }),
        (value) => {
          const out = safe(value);
          expect(out).not.toMatch(/[<>*_~`]/);
          expect(out).not.toMatch(INVISIBLE);
          const event = offboardingEvent({
            id: value === "" ? "id" : value,
            subject: { id: "00u1", displayName: value, type: "User" },
          });
          const alert = buildSlackAlert(event, deliveryContext(event), SETTINGS);
          for (const t of texts(alert)) expect((t.match(/`/g) ?? []).length % 2).toBe(0);
        },
      ),
    );
  });
});
