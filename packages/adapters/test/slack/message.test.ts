import { EMPTY_CASE, stepCase } from "@offboard/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildCaseUpdate,
  buildPlainAlert,
  buildSlackAlert,
  clipMrkdwn,
  escapeMrkdwn,
  jiraReceipt,
  oktaAdminUserUrl,
  type SlackAlert,
  whenText,
} from "../../src/slack/message.ts";
import {
  deliveryContext,
  laterReactivation,
  offboardingEvent,
  openCase,
  reactivation,
} from "../slack-jira.factories.ts";

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

/** Every text object of an alert with Slack's limit for it (field 2000, header 150, other text 3000). */
const textsWithLimits = (alert: SlackAlert): Array<readonly [string, number]> => [
  [alert.text, 3_000],
  ...alert.blocks.flatMap((b): Array<readonly [string, number]> => {
    if (b.type === "header") return [[b.text.text, 150]];
    if (b.type === "context") return b.elements.map((e) => [e.text, 3_000] as const);
    if (b.type === "section")
      return [
        ...(b.text !== undefined ? [[b.text.text, 3_000] as const] : []),
        ...(b.fields ?? []).map((f) => [f.text, 2_000] as const),
      ];
    return [];
  }),
];

/** An `&` that does not start one of the three entities escaping makes: a split entity. */
const SPLIT_ENTITY = /&(?!(amp|lt|gt);)/;

describe("hostile lengths", () => {
  const hostile = offboardingEvent({
    subject: { id: "00uhostile", login: "h@example.com", displayName: "<".repeat(1000) },
    actor: { id: "00uactor", displayName: ">".repeat(5000) },
    reason: "&".repeat(3000),
  });

  it("keep every block text within Slack's limit for it, after escaping", () => {
    const alert = buildSlackAlert(hostile, deliveryContext(hostile, { supersededBy: laterReactivation() }), {
      timeZone: "UTC",
    });

    for (const [text, max] of textsWithLimits(alert)) expect(text.length).toBeLessThanOrEqual(max);
    expect(JSON.stringify(alert.blocks).length).toBeLessThan(12_000);
  });

  it("split no entity and mark what was clipped with …", () => {
    const alert = buildSlackAlert(hostile, deliveryContext(hostile), { timeZone: "UTC" });

    for (const [text] of textsWithLimits(alert)) expect(text).not.toMatch(SPLIT_ENTITY);
    const fields = alert.blocks.flatMap((b) => (b.type === "section" ? (b.fields ?? []) : [])).map((f) => f.text);
    expect(fields.find((f) => f.startsWith("*User*"))).toMatch(/^\*User\*\n(&lt;)+…$/);
    expect(fields.find((f) => f.startsWith("*Reason*"))).toMatch(/^\*Reason\*\n(&amp;)+…$/);
  });

  it("keep the case update and the text-only alert within the limits too", () => {
    const ctx = deliveryContext(hostile);
    const update = buildCaseUpdate(
      { channel: "C1", ts: "1.2", kind: "deactivated", eventId: "e", occurredAt: "", actor: "<".repeat(3000) },
      hostile,
      ctx,
      { timeZone: "UTC" },
    );
    const plain = buildPlainAlert(hostile, ctx, { timeZone: "UTC" });

    for (const [text, max] of textsWithLimits(update)) expect(text.length).toBeLessThanOrEqual(max);
    expect(plain.length).toBeLessThanOrEqual(3_000);
    expect(plain).not.toMatch(SPLIT_ENTITY);
    expect(plain).not.toMatch(/[<>]/);
  });

  it("clipMrkdwn never splits an entity, a link or a surrogate pair, and keeps a prefix of the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), fc.integer({ min: 2, max: 120 }), (raw, max) => {
        const escaped = `${escapeMrkdwn(raw)} <https://x.example/a&amp;b|link>`;
        const clipped = clipMrkdwn(escaped, max);
        expect(clipped.length).toBeLessThanOrEqual(max);
        if (clipped === escaped) return;
        const kept = clipped.slice(0, -1);
        expect(clipped.endsWith("…")).toBe(true);
        expect(escaped.startsWith(kept)).toBe(true);
        expect(kept).not.toMatch(SPLIT_ENTITY);
        expect(kept.lastIndexOf("<")).toBeLessThanOrEqual(kept.lastIndexOf(">"));
        expect(/[\ud800-\udbff]$/.test(kept)).toBe(false);
      }),
    );
  });
});

describe("an event that arrived after a later one", () => {
  it("says so prominently, right under the header, and in the notification text", () => {
    const event = offboardingEvent();
    const alert = buildSlackAlert(event, deliveryContext(event, { supersededBy: laterReactivation() }), {
      timeZone: "UTC",
    });

    expect(alert.blocks[0]).toMatchObject({ type: "header", text: { text: ":no_entry: Okta user deactivated" } });
    expect(alert.blocks[1]).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: ":warning: *Arrived late*: Okta already reported this user *reactivated* at 2026-11-04T10:00:00.000Z (event `7c2d9e10-0000-11ef-9a1b-0242ac120002`); this alert is history, not the user's current state.",
      },
    });
    expect(alert.text).toBe(
      "Okta user deactivated (arrived late; since reactivated): Jane Doe (jane.doe@example.com) by IT Admin (it.admin@example.com)",
    );
  });

  it("is not mentioned when the event is the latest", () => {
    const event = offboardingEvent();
    const alert = buildSlackAlert(event, deliveryContext(event), { timeZone: "UTC" });

    expect(JSON.stringify(alert)).not.toContain("Arrived late");
    expect(alert.text).not.toContain("arrived late");
  });
});

describe("an event whose date cannot be trusted", () => {
  const NOW = Date.parse("2026-11-05T00:00:00.000Z");

  it("warns under the header and in the notification text that the case is unchanged", () => {
    const event = offboardingEvent({ kind: "unsuspended", occurredAt: "2999-01-01T00:00:00.000Z" });
    const step = stepCase(EMPTY_CASE, { id: event.id, kind: event.kind, published: event.occurredAt }, NOW);
    const alert = buildSlackAlert(event, { ...deliveryContext(event), step }, { timeZone: "UTC" });

    expect(step.timeliness).toBe("future");
    expect(alert.blocks[1]).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: ":warning: *Date not trusted*: Okta's event says it happened at 2999-01-01T00:00:00.000Z, later than offboard's clock allows; shown for the record, it does not change this user's case.",
      },
    });
    expect(alert.text).toContain("(date not trusted; case unchanged)");
  });

  it("is not mentioned for an event placed in time", () => {
    const event = offboardingEvent();
    const step = stepCase(EMPTY_CASE, { id: event.id, kind: event.kind, published: event.occurredAt }, NOW);
    const alert = buildSlackAlert(event, { ...deliveryContext(event), step }, { timeZone: "UTC" });

    expect(JSON.stringify(alert)).not.toContain("Date not trusted");
  });
});

describe("the Jira link", () => {
  it.each(["none", "skipped", "superseded"])("is absent when the Jira receipt says %s", (ref) => {
    const event = reactivation();
    expect(jiraReceipt(deliveryContext(event, { receipts: [{ sink: "jira", ref }] }))).toBeUndefined();
    expect(jiraReceipt(deliveryContext(event, { case: openCase({ jira: { sink: "jira", ref } }) }))).toBeUndefined();
  });
});
