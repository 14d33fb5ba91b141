import { describe, expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  decideBody,
  OFFBOARD_EVENT_HOOK_SOURCE,
  OFFBOARD_POLLER_SOURCE,
  queueTrust,
} from "../src/index.ts";
import { envelope, hookPayload, logEvent } from "./factories.ts";

const QUEUE = queueTrust();
const verdicts = (body: unknown, trust = QUEUE) =>
  decideBody(typeof body === "string" ? body : JSON.stringify(body), DEFAULT_POLICY, trust).map((d) =>
    d.decision._tag === "Reject" ? `reject:${d.decision.error.code}` : d.decision._tag.toLowerCase(),
  );

describe("the queue worker trusts EventBridge envelopes from Okta and offboard only", () => {
  it("routes an envelope from an Okta partner source", () => {
    expect(verdicts(envelope(logEvent()))).toEqual(["route"]);
  });

  it.each([OFFBOARD_POLLER_SOURCE, OFFBOARD_EVENT_HOOK_SOURCE])(
    "routes an envelope offboard enqueued itself (%s)",
    (source) => {
      expect(verdicts(envelope(logEvent(), { source }))).toEqual(["route"]);
    },
  );

  it.each([
    ["a bare LogEvent", logEvent()],
    ["an Event Hook body", hookPayload([logEvent()])],
    ["a System Log array", [logEvent()]],
    ["an SNS notification", { Type: "Notification", Message: JSON.stringify(envelope(logEvent())) }],
    ["an HTTP request wrapper", { body: JSON.stringify(envelope(logEvent())) }],
    ["an SQS event", { Records: [{ body: JSON.stringify(envelope(logEvent())) }] }],
  ])("dead-letters %s as untrusted-shape", (_, body) => {
    expect(verdicts(body)).toEqual(["reject:untrusted-shape"]);
  });

  it("dead-letters JSON Lines as not-json: EventBridge sends one envelope per message", () => {
    const lines = `${JSON.stringify(envelope(logEvent()))}\n${JSON.stringify(envelope(logEvent()))}`;
    expect(verdicts(lines)).toEqual(["reject:not-json"]);
  });

  it("dead-letters an envelope whose source is not the configured Okta org as untrusted-source", () => {
    const acmeOnly = queueTrust("aws.partner/okta.com/acme/");
    expect(verdicts(envelope(logEvent(), { source: "aws.partner/okta.com/evil/x" }), acmeOnly)).toEqual([
      "reject:untrusted-source",
    ]);
    expect(verdicts(envelope(logEvent(), { source: "aws.partner/okta.com/acme/offboard" }), acmeOnly)).toEqual([
      "route",
    ]);
  });

  it("never trusts a configured prefix outside Okta's partner namespace", () => {
    const loose = queueTrust("aws.partner/");
    expect(verdicts(envelope(logEvent(), { source: "aws.partner/evil.example.com/x" }), loose)).toEqual([
      "reject:untrusted-source",
    ]);
  });

  it("keeps accepting every shape outside the queue (the CLI)", () => {
    const any = { mode: "any" } as const;
    expect(verdicts(logEvent(), any)).toEqual(["route"]);
    expect(verdicts(hookPayload([logEvent()]), any)).toEqual(["route"]);
    expect(verdicts(envelope(logEvent(), { source: OFFBOARD_POLLER_SOURCE }), any)).toEqual(["route"]);
  });
});
