import { type Loopback, type RecordedRequest, type Reply, startLoopback } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeSlackSink } from "../../src/slack/sink.ts";
import {
  closedPortUrl,
  deliveryContext,
  laterReactivation,
  offboardingEvent,
  openCase,
  reactivation,
  run,
  SLACK_TOKEN,
  slackSettings,
} from "../slack-jira.factories.ts";

/**
 * The Slack sink over real HTTP against a loopback server speaking Slack's Web API: form-encoded
 * POSTs to /api/<method> with the bot token as a Bearer header, answers `{ ok, … }` with HTTP 200,
 * 429 with Retry-After when rate limited.
 */

const TS = "1762161312.000100";

/** Slack's documented success answers for the methods the sink calls. */
const slackOk = (req: RecordedRequest): Reply => {
  const body = req.json as Record<string, string>;
  if (req.path === "/api/chat.postMessage") {
    return {
      body: {
        ok: true,
        channel: body.channel,
        ts: body.thread_ts === undefined ? TS : "1762161400.000200",
        message: { type: "message", text: body.text },
      },
    };
  }
  if (req.path === "/api/chat.update") {
    return { body: { ok: true, channel: body.channel, ts: body.ts, text: body.text, message: { text: body.text } } };
  }
  return { status: 200, body: { ok: false, error: "unknown_method" } };
};

/** A Block Kit block as the sink sends it (only what the tests read). */
interface Block {
  readonly type: string;
  readonly text?: { readonly text: string };
  readonly fields?: ReadonlyArray<{ readonly text: string }>;
  readonly elements?: ReadonlyArray<{ readonly text: string }>;
}

/** The form fields of a recorded request (Slack's Web API posts application/x-www-form-urlencoded). */
const form = (req: RecordedRequest | undefined): Record<string, string | undefined> =>
  (req?.json ?? {}) as Record<string, string | undefined>;

/** The `blocks` form field, parsed back from its JSON string. */
const blocksOf = (req: RecordedRequest | undefined): ReadonlyArray<Block> =>
  JSON.parse(form(req).blocks ?? "[]") as ReadonlyArray<Block>;

const fieldTexts = (req: RecordedRequest | undefined): ReadonlyArray<string> =>
  (blocksOf(req)[1]?.fields ?? []).map((x) => x.text);

const allText = (req: RecordedRequest | undefined): string => {
  return JSON.stringify(blocksOf(req)) + (form(req).text ?? "");
};

let slack: Loopback;
beforeEach(async () => {
  slack = await startLoopback(slackOk);
});
afterEach(async () => {
  await slack.close();
});

describe("a routed event", () => {
  it("is posted as one Block Kit message to the configured channel with the bot token", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag).toBe("Success");
    expect(slack.requests).toHaveLength(1);
    const req = slack.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/api/chat.postMessage");
    expect(req?.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const f = form(req);
    expect(f.channel).toBe("C0123456789");
    expect(f.unfurl_links).toBe("false");
    expect(f.thread_ts).toBeUndefined();
    expect(f.text).toBe("Okta user deactivated: Jane Doe (jane.doe@example.com) by IT Admin (it.admin@example.com)");
    expect(blocksOf(req)).toEqual([
      { type: "header", text: { type: "plain_text", text: ":no_entry: Okta user deactivated", emoji: true } },
      {
        type: "section",
        fields: [
          { type: "mrkdwn", text: "*When*\n2026-11-03T09:15:12.345Z (UTC)" },
          { type: "mrkdwn", text: "*User*\nJane Doe" },
          { type: "mrkdwn", text: "*Login*\njane.doe@example.com" },
          { type: "mrkdwn", text: "*Actor*\nIT Admin (it.admin@example.com)" },
        ],
      },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `Okta event \`${event.id}\` · transaction \`YmFzZTY0dHhpZA\`` }],
      },
    ]);
  });

  it("returns a receipt holding the message ts and channel for later follow-ups", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Success" && result.success).toMatchObject({
      sink: "slack",
      ref: TS,
      detail: { channel: "C0123456789", ts: TS, kind: "deactivated", eventId: event.id },
    });
  });

  it("shows the reason, the HRIS drift highlighted, the Jira link and the Okta admin link", async () => {
    const sink = makeSlackSink(slackSettings(slack.url, { oktaOrgUrl: "https://acme.okta.com" }));
    const event = offboardingEvent({ reason: "Left the company" });
    const ctx = deliveryContext(event, {
      hris: {
        _tag: "Drift",
        employee: { id: "42", email: "jane.doe@example.com", status: "active" },
        summary: "HR shows active with no termination date",
      },
      receipts: [{ sink: "jira", ref: "IT-7", url: "https://acme.atlassian.net/browse/IT-7" }],
    });

    await run(sink.deliver(event, ctx));

    const fields = fieldTexts(slack.requests[0]);
    expect(fields).toContain("*Reason*\nLeft the company");
    expect(fields).toContain("*HRIS*\n:warning: *DRIFT*: HR shows active with no termination date");
    expect(fields).toContain("*Jira*\n<https://acme.atlassian.net/browse/IT-7|IT-7>");
    const context = blocksOf(slack.requests[0])[2]?.elements?.[0]?.text;
    expect(context).toContain(
      "<https://acme-admin.okta.com/admin/user/profile/view/00u1abcdEFGHijkl0x7|Open user in Okta admin>",
    );
  });

  it("shows the time also in the configured time zone", async () => {
    const sink = makeSlackSink(slackSettings(slack.url, { timeZone: "Europe/Berlin" }));
    const event = offboardingEvent({ occurredAt: "2026-11-03T09:15:12.345Z" });

    await run(sink.deliver(event, deliveryContext(event)));

    const when = fieldTexts(slack.requests[0])[0];
    expect(when).toBe("*When*\n2026-11-03T09:15:12.345Z\n2026-11-03 10:15:12 (Europe/Berlin)");
  });
});

describe("user-controlled strings", () => {
  it("are escaped so a display name like <!channel> shows literally and pings no one", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent({
      subject: { id: "00uevil", login: "a&b@example.com", displayName: "<!channel> <https://evil|click>" },
      actor: { id: "00uactor", displayName: "<@U024BE7LH>" },
      reason: "see <!here>",
    });

    await run(sink.deliver(event, deliveryContext(event)));

    const f = form(slack.requests[0]);
    const text = allText(slack.requests[0]);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<https://evil");
    expect(text).not.toContain("<@U024BE7LH>");
    expect(text).not.toContain("<!here>");
    expect(text).toContain("&lt;!channel&gt; &lt;https://evil|click&gt;");
    expect(text).toContain("a&amp;b@example.com");
    expect(f.text).toBe(
      "Okta user deactivated: &lt;!channel&gt; &lt;https://evil|click&gt; (a&amp;b@example.com) by &lt;@U024BE7LH&gt;",
    );
  });
});

describe("a hostile display name", () => {
  it("cannot make Slack refuse the alert: 1000 `<` and a 3000 `&` reason stay within Block Kit's limits", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent({
      subject: { id: "00uevil", login: "evil@example.com", displayName: "<".repeat(1000) },
      reason: "&".repeat(3000),
    });

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag).toBe("Success");
    for (const field of fieldTexts(slack.requests[0])) {
      expect(field.length).toBeLessThanOrEqual(2000);
      expect(field).not.toMatch(/&(?!(amp|lt|gt);)/);
    }
    expect(fieldTexts(slack.requests[0])).toContainEqual(expect.stringMatching(/^\*User\*\n(&lt;)+…$/));
    expect((form(slack.requests[0]).text ?? "").length).toBeLessThanOrEqual(3000);
  });
});

describe("when Slack refuses the blocks", () => {
  it.each(["invalid_blocks", "msg_blocks_too_long"])(
    "(%s) the alert is posted again at once as text only, and the receipt says so",
    async (error) => {
      slack.handle((req) => (form(req).blocks !== undefined ? { body: { ok: false, error } } : slackOk(req)));
      const sink = makeSlackSink(slackSettings(slack.url));
      const event = offboardingEvent({ subject: { id: "00uevil", displayName: "<!channel> Mallory" } });

      const result = await run(sink.deliver(event, deliveryContext(event)));

      expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.postMessage", "/api/chat.postMessage"]);
      const plain = form(slack.requests[1]);
      expect(plain.blocks).toBeUndefined();
      expect(plain.channel).toBe("C0123456789");
      expect(plain.text).toContain("Okta user deactivated");
      expect(plain.text).toContain("&lt;!channel&gt; Mallory");
      expect(plain.text).not.toContain("<!channel>");
      expect(plain.text).toContain(event.id);
      expect(result._tag === "Success" && result.success).toMatchObject({
        ref: TS,
        detail: { format: "text only", blocksRefused: error, ts: TS },
      });
    },
  );

  it("a refusal of the text-only message too is permanent and names Slack's error", async () => {
    slack.handle(() => ({ body: { ok: false, error: "invalid_blocks" } }));
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(slack.requests).toHaveLength(2);
    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "permanent", code: "invalid_blocks" });
  });
});

describe("an event that arrived after a later one of the same user", () => {
  it("is posted with an 'Arrived late' warning under the header and in the notification text", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent();

    await run(sink.deliver(event, deliveryContext(event, { supersededBy: laterReactivation() })));

    const blocks = blocksOf(slack.requests[0]);
    expect(blocks[0]?.text?.text).toBe(":no_entry: Okta user deactivated");
    expect(blocks[1]?.text?.text).toBe(
      ":warning: *Arrived late*: Okta already reported this user *reactivated* at 2026-11-04T10:00:00.000Z (event `7c2d9e10-0000-11ef-9a1b-0242ac120002`); this alert is history, not the user's current state.",
    );
    expect(form(slack.requests[0]).text).toContain("(arrived late; since reactivated)");
  });
});

describe("a follow-up on a case", () => {
  const originalReceipt = {
    sink: "slack",
    ref: "1762000000.000001",
    detail: {
      channel: "C0ORIGINAL",
      ts: "1762000000.000001",
      kind: "deactivated",
      eventId: "5e1b7a3c-0000-11ef-9a1b-0242ac120002",
      occurredAt: "2026-11-03T09:15:12.345Z",
      actor: "IT Admin (it.admin@example.com)",
      reason: "Left the company",
    },
  };

  it("updates the original message to the new state, then replies in its thread", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation();
    const ctx = deliveryContext(event, { followUp: true, case: openCase({ slack: originalReceipt }) });

    const result = await run(sink.deliver(event, ctx));

    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.update", "/api/chat.postMessage"]);
    const update = form(slack.requests[0]);
    expect(update.channel).toBe("C0ORIGINAL");
    expect(update.ts).toBe("1762000000.000001");
    expect(blocksOf(slack.requests[0])[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: ":white_check_mark: Okta user Deactivated → Reactivated", emoji: true },
    });
    expect(JSON.stringify(blocksOf(slack.requests[0]))).toContain("*Reason*\\nLeft the company");
    expect(JSON.stringify(blocksOf(slack.requests[0]))).toContain(
      "*Now reactivated* 2026-11-04T10:00:00.000Z (UTC) by IT Admin",
    );
    const reply = form(slack.requests[1]);
    expect(reply.channel).toBe("C0ORIGINAL");
    expect(reply.thread_ts).toBe("1762000000.000001");
    expect(reply.reply_broadcast).toBe("false");
    expect(blocksOf(slack.requests[1])[0]).toMatchObject({
      type: "header",
      text: { text: ":white_check_mark: Okta user reactivated" },
    });
    expect(result._tag === "Success" && result.success).toMatchObject({
      ref: "1762161400.000200",
      detail: { thread_ts: "1762000000.000001", update: "updated" },
    });
  });

  it("posts a fresh top-level message when the user has no case", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation();

    await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: undefined })));

    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.postMessage"]);
    expect(form(slack.requests[0]).thread_ts).toBeUndefined();
    expect(form(slack.requests[0]).channel).toBe("C0123456789");
  });

  it("posts a fresh top-level message when the original message is gone", async () => {
    slack.handle((req) =>
      req.path === "/api/chat.update" ? { body: { ok: false, error: "message_not_found" } } : slackOk(req),
    );
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation();
    const ctx = deliveryContext(event, { followUp: true, case: openCase({ slack: originalReceipt }) });

    const result = await run(sink.deliver(event, ctx));

    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.update", "/api/chat.postMessage"]);
    expect(form(slack.requests[1]).thread_ts).toBeUndefined();
    expect(result._tag === "Success" && result.success.detail).toMatchObject({ update: "message_not_found" });
  });

  it("does not rewrite the original when it arrived after a later event; it replies in the thread, marked late", async () => {
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation({ occurredAt: "2026-11-03T08:00:00.000Z" });
    const ctx = deliveryContext(event, {
      followUp: true,
      case: openCase({ slack: originalReceipt }),
      supersededBy: {
        kind: "deactivated",
        eventId: "5e1b7a3c-0000-11ef-9a1b-0242ac120002",
        occurredAt: "2026-11-03T09:15:12.345Z",
      },
    });

    const result = await run(sink.deliver(event, ctx));

    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.postMessage"]);
    expect(form(slack.requests[0]).thread_ts).toBe("1762000000.000001");
    expect(allText(slack.requests[0])).toContain("*Arrived late*: Okta already reported this user *deactivated*");
    expect(result._tag === "Success" && result.success.detail).toMatchObject({ update: "skipped (superseded)" });
  });

  it("replies in the thread when Slack refuses the rewritten blocks of the original", async () => {
    slack.handle((req) =>
      req.path === "/api/chat.update" ? { body: { ok: false, error: "invalid_blocks" } } : slackOk(req),
    );
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation();
    const ctx = deliveryContext(event, { followUp: true, case: openCase({ slack: originalReceipt }) });

    const result = await run(sink.deliver(event, ctx));

    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.update", "/api/chat.postMessage"]);
    expect(form(slack.requests[1]).thread_ts).toBe("1762000000.000001");
    expect(result._tag === "Success" && result.success.detail).toMatchObject({ update: "invalid_blocks" });
  });

  it("fails transiently without replying when the update cannot reach Slack, so a retry does not double-post", async () => {
    slack.handle((req) => (req.path === "/api/chat.update" ? { status: 503, body: "unavailable" } : slackOk(req)));
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = reactivation();
    const ctx = deliveryContext(event, { followUp: true, case: openCase({ slack: originalReceipt }) });

    const result = await run(sink.deliver(event, ctx));

    expect(result._tag === "Failure" && result.failure.failure).toBe("transient");
    expect(slack.requests.map((r) => r.path)).toEqual(["/api/chat.update"]);
  });
});

describe("failures are classified", () => {
  it("a 429 is transient, carries Retry-After in ms and is not retried inside the attempt", async () => {
    slack.handle(() => ({ status: 429, headers: { "retry-after": "30" }, body: { ok: false, error: "ratelimited" } }));
    const sink = makeSlackSink(slackSettings(slack.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag).toBe("Failure");
    if (result._tag !== "Failure") return;
    expect(result.failure).toMatchObject({
      sink: "slack",
      failure: "transient",
      code: "rate_limited",
      retryAfterMs: 30_000,
    });
    expect(slack.requests).toHaveLength(1);
  });

  it("after a 500 it looks for the message before posting once more, and stays transient when Slack keeps failing", async () => {
    slack.handle((req) =>
      req.path === "/api/conversations.history"
        ? { body: { ok: true, messages: [], has_more: false } }
        : { status: 500, body: "oops" },
    );
    const sink = makeSlackSink(slackSettings(slack.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "http_500" });
    expect(slack.requests.map((r) => r.path)).toEqual([
      "/api/chat.postMessage",
      "/api/conversations.history",
      "/api/chat.postMessage",
    ]);
  });

  it("a network error (nothing listening) is transient", async () => {
    const sink = makeSlackSink(slackSettings(await closedPortUrl()));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "network" });
    // The cause is named, not just "fetch failed".
    expect(result._tag === "Failure" && result.failure.message).toMatch(
      /^Slack chat.postMessage: request failed: connection refused \(ECONNREFUSED/,
    );
  });

  it("no answer within the timeout is transient, and the post is never repeated while Slack cannot say whether it has it", async () => {
    slack.handle((req) => ({ ...slackOk(req), delayMs: 1_000 }));
    const sink = makeSlackSink(slackSettings(slack.url, { timeoutMs: 100, maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "timeout" });
    expect(slack.requests.filter((r) => r.path === "/api/chat.postMessage")).toHaveLength(1);
  });

  it.each(["invalid_auth", "channel_not_found", "not_in_channel", "msg_too_long"])(
    "ok:false %s is permanent and names Slack's error code",
    async (error) => {
      slack.handle(() => ({ body: { ok: false, error } }));
      const sink = makeSlackSink(slackSettings(slack.url, { maxRetries: 2 }));
      const event = offboardingEvent();

      const result = await run(sink.deliver(event, deliveryContext(event)));

      expect(result._tag === "Failure" && result.failure).toMatchObject({
        sink: "slack",
        failure: "permanent",
        code: error,
      });
      expect(result._tag === "Failure" && result.failure.message).toBe(`Slack chat.postMessage failed: ${error}`);
      expect(result._tag === "Failure" && result.failure.message).not.toContain(SLACK_TOKEN);
      expect(slack.requests).toHaveLength(1);
    },
  );

  it("ok:false internal_error is transient (Slack documents it as temporary)", async () => {
    slack.handle(() => ({ body: { ok: false, error: "internal_error" } }));
    const sink = makeSlackSink(slackSettings(slack.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "internal_error" });
  });
});
