import { makeInMemoryLedger } from "@offboard/core";
import { type FakeSlack, startFakeSlack } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALERT_METADATA_TYPE, DIGEST_METADATA_TYPE, makeSlackSink } from "../../src/slack/sink.ts";
import { deliveryContext, offboardingEvent, run, slackSettings } from "../slack-jira.factories.ts";

/**
 * Exactly once under ambiguous failures, shared pacing and burst digests, against the stateful fake
 * Slack of @offboard/testkit (messages keep their metadata; conversations.history returns it).
 */

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack();
});
afterEach(async () => {
  await slack.close();
});

const settingsFor = (s: FakeSlack, overrides: Parameters<typeof slackSettings>[1] = {}) =>
  slackSettings(s.server.url, overrides);

const postsOf = (s: FakeSlack) => s.writes.filter((c) => c.method === "chat.postMessage");

describe("an alert", () => {
  it("carries message metadata naming its Okta event, so a later attempt can find it", async () => {
    const sink = makeSlackSink(settingsFor(slack));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag).toBe("Success");
    expect(slack.messages[0]?.metadata).toMatchObject({
      event_type: ALERT_METADATA_TYPE,
      event_payload: { okta_event_id: event.id },
    });
  });

  it("that Slack posted before answering 500 is found and adopted, not posted twice", async () => {
    slack.fail((call) =>
      call.method === "chat.postMessage" && postsOf(slack).length === 1
        ? { acted: { status: 500, body: "oops" } }
        : undefined,
    );
    const sink = makeSlackSink(settingsFor(slack, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(slack.messages).toHaveLength(1);
    expect(result._tag === "Success" && result.success).toMatchObject({
      ref: slack.messages[0]?.ts,
      detail: { adopted: "found posted by an earlier attempt" },
    });
  });

  it("whose attempt ended unsure is looked up by the next attempt before it posts", async () => {
    const ledger = makeInMemoryLedger();
    slack.fail((call) =>
      call.method === "chat.postMessage" || call.method === "conversations.history"
        ? postsOf(slack).length === 1 && call.method === "chat.postMessage"
          ? { acted: { status: 500, body: "oops" } }
          : call.method === "conversations.history" && slack.faults.acted === 1 && slack.faults.clean < 3
            ? { clean: { status: 503, body: "busy" } }
            : undefined
        : undefined,
    );
    const sink = makeSlackSink(settingsFor(slack, { maxRetries: 2, digestThreshold: 0 }));
    const event = offboardingEvent();
    const ctx = deliveryContext(event, {});
    const withLedger = { ...ctx, coordination: ledger };

    const first = await run(sink.deliver(event, withLedger));
    const second = await run(sink.deliver(event, withLedger));

    expect(first._tag).toBe("Failure");
    expect(second._tag === "Success" && second.success.ref).toBe(slack.messages[0]?.ts);
    expect(slack.messages).toHaveLength(1);
  });

  it("after a 429 is retried once, no sooner than its Retry-After, and every writer on the channel holds off", async () => {
    const ledger = makeInMemoryLedger();
    slack.fail((call) =>
      call.method === "chat.postMessage" && postsOf(slack).length === 1
        ? { clean: { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } } }
        : undefined,
    );
    const sink = makeSlackSink(settingsFor(slack, { digestThreshold: 0 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, { ...deliveryContext(event), coordination: ledger }));

    expect(result._tag).toBe("Success");
    const arrivals = postsOf(slack).map((c) => c.at);
    expect(arrivals).toHaveLength(2);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
  });
});

describe("a burst", () => {
  it("posts the first alerts of the window one by one and gathers the rest in one digest with the complete list as a CSV", async () => {
    const ledger = makeInMemoryLedger();
    const sink = makeSlackSink(
      settingsFor(slack, { digestThreshold: 2, digestUpdateMs: 300, maxWaitMs: 5_000, paceIntervalMs: 50 }),
    );
    const events = Array.from({ length: 5 }, (_, i) =>
      offboardingEvent({
        subject: { id: `00uburst${i}`, login: `user${i}@example.com`, displayName: `User ${i}`, type: "User" },
      }),
    );

    const results = [];
    for (const event of events)
      results.push(await run(sink.deliver(event, { ...deliveryContext(event), coordination: ledger })));

    expect(results.every((r) => r._tag === "Success")).toBe(true);
    const digests = slack.messages.filter((m) => m.metadata?.event_type === DIGEST_METADATA_TYPE);
    expect(slack.messages.filter((m) => m.metadata?.event_type === ALERT_METADATA_TYPE)).toHaveLength(2);
    expect(digests).toHaveLength(1);
    for (const r of results.slice(2)) {
      expect(r._tag === "Success" && r.success).toMatchObject({
        ref: digests[0]?.ts,
        detail: { digest: expect.any(String) },
      });
    }
    for (const i of [2, 3, 4]) expect(digests[0]?.blocks).toContain(`user${i}@example.com`);
    const csv = slack.files.at(-1);
    expect(csv?.threadTs).toBe(digests[0]?.ts);
    expect(csv?.content.split("\r\n")).toHaveLength(4);
    for (const i of [2, 3, 4]) expect(csv?.content).toContain(`user${i}@example.com`);
  });
});
