import { envelope, hookPayload, oktaEvent } from "@offboard/testkit";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  decideBody,
  OFFBOARD_EVENT_HOOK_SOURCE,
  OFFBOARD_POLLER_SOURCE,
  queueTrust,
} from "../src/index.ts";

const QUEUE = queueTrust();
const verdicts = (body: unknown, trust = QUEUE) =>
  decideBody(typeof body === "string" ? body : JSON.stringify(body), DEFAULT_POLICY, trust).map((d) =>
    d.decision._tag === "Reject" ? `reject:${d.decision.error.code}` : d.decision._tag.toLowerCase(),
  );

describe("the queue worker trusts EventBridge envelopes from Okta and offboard only", () => {
  it("routes an envelope from an Okta partner source", () => {
    expect(verdicts(envelope(oktaEvent()))).toEqual(["route"]);
  });

  it.each([OFFBOARD_POLLER_SOURCE, OFFBOARD_EVENT_HOOK_SOURCE])(
    "routes an envelope offboard enqueued itself (%s)",
    (source) => {
      expect(verdicts(envelope(oktaEvent(), { source }))).toEqual(["route"]);
    },
  );

  it.each([
    ["a bare LogEvent", oktaEvent()],
    ["an Event Hook body", hookPayload([oktaEvent()])],
    ["a System Log array", [oktaEvent()]],
    ["an SNS notification", { Type: "Notification", Message: JSON.stringify(envelope(oktaEvent())) }],
    ["an HTTP request wrapper", { body: JSON.stringify(envelope(oktaEvent())) }],
    ["an SQS event", { Records: [{ body: JSON.stringify(envelope(oktaEvent())) }] }],
  ])("dead-letters %s as untrusted-shape", (_, body) => {
    expect(verdicts(body)).toEqual(["reject:untrusted-shape"]);
  });

  it("dead-letters JSON Lines as not-json: EventBridge sends one envelope per message", () => {
    const lines = `${JSON.stringify(envelope(oktaEvent()))}\n${JSON.stringify(envelope(oktaEvent()))}`;
    expect(verdicts(lines)).toEqual(["reject:not-json"]);
  });

  it("dead-letters an envelope whose source is not the configured Okta org as untrusted-source", () => {
    const acmeOnly = queueTrust("aws.partner/okta.com/acme/");
    expect(verdicts(envelope(oktaEvent(), { source: "aws.partner/okta.com/evil/x" }), acmeOnly)).toEqual([
      "reject:untrusted-source",
    ]);
    expect(verdicts(envelope(oktaEvent(), { source: "aws.partner/okta.com/acme/offboard" }), acmeOnly)).toEqual([
      "route",
    ]);
  });

  it("never trusts a configured prefix outside Okta's partner namespace", () => {
    const loose = queueTrust("aws.partner/");
    expect(verdicts(envelope(oktaEvent(), { source: "aws.partner/evil.example.com/x" }), loose)).toEqual([
      "reject:untrusted-source",
    ]);
  });

  it("keeps accepting every shape outside the queue (the CLI)", () => {
    const any = { mode: "any" } as const;
    expect(verdicts(oktaEvent(), any)).toEqual(["route"]);
    expect(verdicts(hookPayload([oktaEvent()]), any)).toEqual(["route"]);
    expect(verdicts(envelope(oktaEvent(), { source: OFFBOARD_POLLER_SOURCE }), any)).toEqual(["route"]);
  });
});
