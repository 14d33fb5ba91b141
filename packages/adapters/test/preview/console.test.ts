import { Writable } from "node:stream";
import type { CaseRecord, DeliveryContext, HrisStatus, OffboardingEvent } from "@offboard/core";
import { deliveryContext as sharedContext, offboardingEvent as sharedEvent } from "@offboard/testkit";
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { consolePreviewSink, DEFAULT_PREVIEW_CHECKLIST, terminalSafe } from "../../src/preview/console.ts";
import { VALUE_MAX } from "../../src/slack/message.ts";

/** A writable stream that keeps what it was given. */
const capture = () => {
  const chunks: Array<string> = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { out, text: () => chunks.join("") };
};

/** testkit's routed event, with the ids these tests read back. */
const offboardingEvent = (overrides: Partial<OffboardingEvent> = {}): OffboardingEvent =>
  sharedEvent({
    id: "5e1b7a3c-0001-11ef-9a1b-0242ac120002",
    occurredAt: "2026-11-03T09:00:12.345Z",
    subject: { id: "00u1abcdefGHIJKLM357", login: "jane.doe@example.com", displayName: "Jane Doe", type: "User" },
    ...overrides,
  });

/** testkit's delivery context, as the pipeline builds it when no HRIS is configured. */
const deliveryContext = (overrides: Partial<DeliveryContext> = {}): DeliveryContext => ({
  ...sharedContext(offboardingEvent(), { hris: { _tag: "NotChecked", why: "no HRIS configured" } }),
  idempotencyKey: "5e1b7a3c-0001-11ef-9a1b-0242ac120002:console",
  ...overrides,
});

const preview = async (
  event: OffboardingEvent,
  context: DeliveryContext = deliveryContext(),
  options: { checklist?: ReadonlyArray<string>; color?: boolean } = {},
) => {
  const { out, text } = capture();
  const receipt = await Effect.runPromise(consolePreviewSink({ out, ...options }).deliver(event, context));
  return { receipt, text: text() };
};

/** Every control character except the line feeds between lines. */
const hasControlChars = (s: string) => [...s].some((c) => c !== "\n" && (c < " " || (c >= "\u007f" && c <= "\u009f")));

describe("the console preview sink", () => {
  it("is named console and hands back the event id as its receipt", async () => {
    const { receipt } = await preview(offboardingEvent({ id: "evt-receipt" }));
    expect(receipt).toEqual({ sink: "console", ref: "evt-receipt" });
  });

  it("shows the Slack alert with kind, when, user, login, actor, reason, HRIS line and Okta ids", async () => {
    const hris: HrisStatus = { _tag: "NotFound", email: "jane.doe@example.com" };
    const { text } = await preview(offboardingEvent({ reason: "Left the company" }), deliveryContext({ hris }));
    expect(text).toContain("Slack alert · deactivated");
    expect(text).toContain("Okta user deactivated: Jane Doe");
    expect(text).toMatch(/When:\s+2026-11-03T09:00:12.345Z/);
    expect(text).toMatch(/User:\s+Jane Doe \(00u1abcdefGHIJKLM357\)/);
    expect(text).toMatch(/Login:\s+jane.doe@example.com/);
    expect(text).toMatch(/Actor:\s+IT Admin \(it.admin@example.com\), id 00uadmin000000000001/);
    expect(text).toMatch(/Reason:\s+Left the company/);
    expect(text).toMatch(/HRIS:\s+no employee with this email/);
    expect(text).toMatch(/Okta event:\s+5e1b7a3c-0001-11ef-9a1b-0242ac120002/);
    expect(text).toMatch(/Transaction:\s+YmFzZTY0dHhpZA/);
  });

  it("shows the Jira ticket with its summary and checklist for a deactivation", async () => {
    const { text } = await preview(offboardingEvent(), deliveryContext(), {
      checklist: ["Revoke laptop", "Archive mailbox"],
    });
    expect(text).toContain("Jira ticket · deactivated");
    expect(text).toMatch(/Summary:\s+Offboard Jane Doe \(jane.doe@example.com\): Okta user deactivated/);
    expect(text).toContain("[ ] Revoke laptop");
    expect(text).toContain("[ ] Archive mailbox");
  });

  it("lists the default checklist when none is given", async () => {
    const { text } = await preview(offboardingEvent());
    for (const step of DEFAULT_PREVIEW_CHECKLIST) expect(text).toContain(`[ ] ${step}`);
  });

  it("shows no Jira ticket for a suspension", async () => {
    const { text } = await preview(offboardingEvent({ kind: "suspended", eventType: "user.lifecycle.suspend" }));
    expect(text).toContain("Slack alert · suspended");
    expect(text).not.toContain("Jira ticket");
  });

  it("says which case a follow-up threads onto", async () => {
    const opened: CaseRecord = {
      subjectId: "00u1abcdefGHIJKLM357",
      openedBy: "evt-opening",
      openedKind: "suspended",
      lastPublished: 0,
      lastKind: "suspended",
      receipts: { slack: { sink: "slack", ref: "1762160412.000100" } },
    };
    const { text } = await preview(
      offboardingEvent({ kind: "unsuspended", eventType: "user.lifecycle.unsuspend" }),
      deliveryContext({ followUp: true, case: opened }),
    );
    expect(text).toMatch(
      /Thread:\s+follows the suspended case opened by Okta event evt-opening; that case has: Slack message 1762160412.000100/,
    );
  });

  it("shows a Superseded line, and no Jira ticket, for a deactivation that arrived after the reactivation", async () => {
    const { text } = await preview(
      offboardingEvent(),
      deliveryContext({
        supersededBy: { kind: "reactivated", eventId: "evt-\u001b[31mlater", occurredAt: "2026-11-04T10:00:00.000Z" },
      }),
    );
    expect(text).toMatch(
      /Superseded:\s+arrived late: Okta already reported this user reactivated at 2026-11-04T10:00:00.000Z \(event evt-later\); this alert is history/,
    );
    expect(text).not.toContain("Jira ticket");
    expect(hasControlChars(text)).toBe(false);
  });

  it("shows no Superseded line for the latest event", async () => {
    const { text } = await preview(offboardingEvent());
    expect(text).not.toContain("Superseded");
  });

  it("shows a hostile display name literally, without escape sequences or control characters", async () => {
    const hostile = "<!channel> *Mallory*\u001b[2J\u001b]0;pwned\u0007\u001b[31m red\u0000\r\nIT Admin\u202e";
    const { text } = await preview(
      offboardingEvent({ subject: { id: "00u-mallory", login: "mallory@example.com", displayName: hostile } }),
    );
    expect(hasControlChars(text)).toBe(false);
    expect(text).not.toContain("\u202e");
    expect(text).toContain("Okta user deactivated: <!channel> *Mallory* red IT Admin");
    expect(text).not.toContain("pwned");
  });

  it("clips a huge display name like the Slack sink does, instead of printing it whole", async () => {
    const huge = "A".repeat(5_000_000);
    const { text } = await preview(
      offboardingEvent({ subject: { id: "00u-huge", login: "huge@example.com", displayName: huge } }),
    );
    expect(text.length).toBeLessThan(20_000);
    expect(text).toContain(`${"A".repeat(VALUE_MAX - 1)}…`);
    expect(text).not.toContain("A".repeat(VALUE_MAX + 1));
  });

  it("names each receipt of the case a follow-up threads onto, in words", async () => {
    const opened: CaseRecord = {
      subjectId: "00u1abcdefGHIJKLM357",
      openedBy: "evt-opening",
      openedKind: "deactivated",
      lastPublished: 0,
      lastKind: "deactivated",
      receipts: {
        outbox: { sink: "outbox", ref: "outbox:0", detail: { path: ".offboard/outbox.jsonl" } },
        console: { sink: "console", ref: "evt-opening" },
        jira: { sink: "jira", ref: "skipped" },
      },
    };
    const { text } = await preview(
      offboardingEvent({ kind: "reactivated", eventType: "user.lifecycle.reactivate" }),
      deliveryContext({ followUp: true, case: opened }),
    );
    expect(text).toContain(
      "that case has: outbox entry at byte 0 of .offboard/outbox.jsonl, previewed here, jira: nothing made (skipped)",
    );
    expect(text).not.toContain("outbox:0");
  });

  it("colours the headers only when asked", async () => {
    const colored = await preview(offboardingEvent(), deliveryContext(), { color: true });
    const plain = await preview(offboardingEvent(), deliveryContext(), { color: false });
    expect(colored.text).toContain("\u001b[1m");
    expect(hasControlChars(plain.text)).toBe(false);
  });

  it("fails permanently, naming the problem, when the output stream is closed", async () => {
    const { out } = capture();
    out.destroy();
    const error = await Effect.runPromise(
      Effect.flip(consolePreviewSink({ out }).deliver(offboardingEvent(), deliveryContext())),
    );
    expect(error).toMatchObject({ _tag: "SinkError", sink: "console", failure: "permanent" });
    expect(error.message).toContain("cannot write the preview");
  });
});

describe("terminalSafe", () => {
  it("keeps ordinary text, punctuation and non-Latin letters", () => {
    expect(terminalSafe("Zoë O'Brien-Łukasz 山田 <a@b.c>")).toBe("Zoë O'Brien-Łukasz 山田 <a@b.c>");
  });

  it("removes CSI, OSC and 8-bit CSI sequences whole", () => {
    expect(terminalSafe("a\u001b[1;31mb\u001b]8;;https://evil\u001b\\c\u009b2Jd")).toBe("abcd");
  });

  it("turns line breaks and tabs into single spaces", () => {
    expect(terminalSafe("one\r\ntwo\tthree")).toBe("one two three");
  });
});
