import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { describe, expect, it } from "vitest";
import { decide } from "../src/domain/decide.ts";
import {
  DEFAULT_POLICY,
  type Decision,
  decodeValue,
  EVENT_CATALOGUE,
  HANDLED_EVENT_TYPES,
  oktaEventPattern,
  type RoutingPolicy,
} from "../src/index.ts";

const decideOne = (input: unknown, policy: RoutingPolicy = DEFAULT_POLICY): Decision => {
  const [r] = decodeValue(input);
  if (r === undefined || r._tag !== "Decoded") throw new Error("fixture did not decode");
  return decide(r.event, r.provenance, policy);
};

describe("deciding what to do with an event", () => {
  it.each(EVENT_CATALOGUE.map((e) => [e.eventType, e.kind] as const))("routes %s as %s", (eventType, kind) => {
    const d = decideOne(envelope(oktaEvent({ eventType })));
    expect(d._tag).toBe("Route");
    if (d._tag === "Route") expect(d.event.kind).toBe(kind);
  });

  it("normalises the subject, actor, client and org into an OffboardingEvent", () => {
    const user = oktaUser({ id: "00u1subject", login: "jane@example.com", displayName: "Jane Doe" });
    const ev = oktaEvent({
      target: [{ id: "0oa1", type: "AppInstance" }, user],
      outcome: { result: "SUCCESS", reason: "Left the company" },
      transaction: { type: "WEB", id: "YmFzZTY0dHhpZA", detail: {} },
    });
    const d = decideOne(envelope(ev));
    expect(d._tag).toBe("Route");
    if (d._tag !== "Route") return;
    expect(d.event).toEqual({
      id: ev.uuid,
      kind: "deactivated",
      eventType: "user.lifecycle.deactivate",
      occurredAt: ev.published,
      subject: { id: "00u1subject", login: "jane@example.com", displayName: "Jane Doe", type: "User" },
      actor: { id: "00uadmin000000000001", login: "it.admin@example.com", displayName: "IT Admin", type: "User" },
      reason: "Left the company",
      client: { ip: "198.51.100.7", userAgent: "Mozilla/5.0", geo: "Berlin, Berlin, Germany" },
      transactionId: "YmFzZTY0dHhpZA",
      oktaOrg: "acme",
    });
    expect(d.sinks).toEqual(["jira", "slack"]);
    expect(d.hrisCheck).toBe(true);
  });

  it("finds the User target by type, not by position", () => {
    const user = oktaUser({ id: "00u2second" });
    const d = decideOne(oktaEvent({ target: [{ id: "00g1", type: "UserGroup", alternateId: "unknown" }, user] }));
    expect(d._tag === "Route" && d.event.subject.id).toBe("00u2second");
  });

  it("ignores event types it does not handle", () => {
    const d = decideOne(oktaEvent({ eventType: "user.session.start" }));
    expect(d).toMatchObject({ _tag: "Ignore", reason: "event-type-not-handled" });
  });

  it("ignores a lifecycle event whose outcome is not SUCCESS", () => {
    const d = decideOne(oktaEvent({ outcome: { result: "FAILURE", reason: "nope" } }));
    expect(d).toMatchObject({ _tag: "Ignore", reason: "outcome-not-success" });
  });

  it("acts on any outcome when the policy requires none", () => {
    const d = decideOne(oktaEvent({ outcome: { result: "FAILURE" } }), { ...DEFAULT_POLICY, requiredOutcome: null });
    expect(d._tag).toBe("Route");
  });

  it("ignores actors on the ignore list by id or by login, case-insensitively", () => {
    const byLogin = { ...DEFAULT_POLICY, ignoreActors: ["IT.Admin@example.com"] };
    expect(decideOne(oktaEvent(), byLogin)).toMatchObject({ _tag: "Ignore", reason: "actor-ignored" });
    const byId = { ...DEFAULT_POLICY, ignoreActors: ["00uadmin000000000001"] };
    expect(decideOne(oktaEvent(), byId)).toMatchObject({ _tag: "Ignore", reason: "actor-ignored" });
  });

  it("rejects a handled event with no User target", () => {
    const d = decideOne(oktaEvent({ target: [{ id: "0oa1", type: "AppInstance" }] }));
    expect(d._tag).toBe("Reject");
    if (d._tag === "Reject") expect(d.error.code).toBe("no-user-target");
  });

  it("rejects a handled event without a uuid, since it cannot be delivered exactly once", () => {
    const d = decideOne(oktaEvent({ uuid: null }));
    expect(d._tag === "Reject" && d.error.code).toBe("invalid-event");
  });

  it("ignores a kind the policy routes nowhere", () => {
    const policy = { ...DEFAULT_POLICY, routes: { ...DEFAULT_POLICY.routes, deleted: [] } };
    const d = decideOne(oktaEvent({ eventType: "user.lifecycle.delete.initiated" }), policy);
    expect(d).toMatchObject({ _tag: "Ignore", reason: "no-route" });
  });

  it("falls back to an unknown actor when Okta gave none", () => {
    const d = decideOne(oktaEvent({ actor: null }));
    expect(d._tag === "Route" && d.event.actor).toEqual({ id: "unknown" });
  });
});

describe("the event-type catalogue", () => {
  it("gives the EventBridge rule exactly the handled event types", () => {
    expect(oktaEventPattern()).toEqual({
      source: [{ prefix: "aws.partner/okta.com/" }],
      "detail-type": ["SystemLog"],
      detail: { eventType: [...HANDLED_EVENT_TYPES] },
    });
    expect(new Set(HANDLED_EVENT_TYPES).size).toBe(EVENT_CATALOGUE.length);
  });
});
