import { envelope, hookPayload, oktaEvent } from "@offboard/testkit";
import { describe, expect, it } from "vitest";
import { type DecodeResult, decodeJsonLines, decodeText, decodeValue } from "../src/index.ts";

const decoded = (rs: ReadonlyArray<DecodeResult>) =>
  rs.map((r) => (r._tag === "Decoded" ? r.event : undefined)).filter((e) => e !== undefined);
const errors = (rs: ReadonlyArray<DecodeResult>) => rs.flatMap((r) => (r._tag === "Undecodable" ? [r.error] : []));

describe("decoding delivery shapes", () => {
  it("reads the LogEvent inside an Okta EventBridge envelope and the org from its source", () => {
    const ev = oktaEvent();
    const [r] = decodeValue(envelope(ev));
    expect(r?._tag).toBe("Decoded");
    if (r?._tag !== "Decoded") return;
    expect(r.event.uuid).toBe(ev.uuid);
    expect(r.provenance).toMatchObject({ shape: "eventbridge", oktaOrg: "acme", deliveryId: expect.any(String) });
  });

  it("rejects an EventBridge envelope from a source that is not an Okta partner source", () => {
    const rs = decodeValue(envelope(oktaEvent(), { source: "my.app" }));
    expect(errors(rs).map((e) => e.code)).toEqual(["untrusted-source"]);
    expect(errors(rs)[0]?.message).toContain('"my.app"');
  });

  it("rejects an Okta envelope whose detail-type is not SystemLog", () => {
    const rs = decodeValue(envelope(oktaEvent(), { "detail-type": "Okta Log Event" }));
    expect(errors(rs).map((e) => e.code)).toEqual(["not-okta"]);
  });

  it("rejects an envelope whose detail is empty as an invalid event", () => {
    expect(errors(decodeValue(envelope({}))).map((e) => e.code)).toEqual(["invalid-event"]);
  });

  it("reads every event of an Event Hook payload, with the org host from its source", () => {
    const rs = decodeValue(hookPayload([oktaEvent(), oktaEvent({ eventType: "user.session.start" })]));
    expect(decoded(rs).map((e) => e.eventType)).toEqual(["user.lifecycle.deactivate", "user.session.start"]);
    expect(rs[0]?._tag === "Decoded" && rs[0].provenance).toMatchObject({
      shape: "event-hook",
      oktaOrg: "acme.okta.com",
    });
  });

  it("reads a System Log API array, including an empty one", () => {
    expect(decoded(decodeValue([oktaEvent(), oktaEvent()]))).toHaveLength(2);
    expect(decodeValue([])).toEqual([]);
  });

  it("reads a bare LogEvent", () => {
    expect(decoded(decodeValue(oktaEvent()))).toHaveLength(1);
  });

  it("reads the bodies of an SQS event and an SNS notification", () => {
    const sqs = { Records: [{ body: JSON.stringify(envelope(oktaEvent())) }, { body: "oops" }] };
    const rs = decodeValue(sqs);
    expect(decoded(rs)).toHaveLength(1);
    expect(errors(rs).map((e) => e.code)).toEqual(["not-json"]);
    const sns = { Type: "Notification", Message: JSON.stringify(oktaEvent()) };
    expect(decoded(decodeValue(sns))).toHaveLength(1);
  });

  it("says what it got when the input is not an Okta delivery", () => {
    const [e] = errors(decodeValue({ hello: "world" }));
    expect(e?.code).toBe("not-okta");
    expect(e?.message).toContain("hello");
    expect(errors(decodeValue(42))[0]?.message).toContain("number");
  });

  it("rejects an event with no eventType, and an empty one", () => {
    expect(errors(decodeValue({ uuid: "x", eventType: "" })).map((e) => e.code)).toEqual(["invalid-event"]);
    expect(errors(decodeValue([{ uuid: "x" }])).map((e) => e.code)).toEqual(["invalid-event"]);
  });

  it("stops at a nesting depth limit instead of recursing forever", () => {
    let v: unknown = oktaEvent();
    for (let i = 0; i < 10; i++) v = [v];
    expect(errors(decodeValue(v)).map((e) => e.code)).toEqual(["not-okta"]);
  });
});

describe("decoding text", () => {
  it("decodes one JSON document", () => {
    expect(decoded(decodeText(JSON.stringify(envelope(oktaEvent()))))).toHaveLength(1);
  });

  it("decodes JSON Lines one line at a time, keeping a bad line as its own rejection", () => {
    const text = [JSON.stringify(oktaEvent()), "{not json", "", JSON.stringify(envelope(oktaEvent()))].join("\n");
    const rs = decodeText(text);
    expect(rs.map((r) => r._tag)).toEqual(["Decoded", "Undecodable", "Decoded"]);
    expect(errors(rs)[0]?.message).toContain("{not json");
    expect(decodeJsonLines(text).map((r) => r._tag)).toEqual(["Decoded", "Undecodable", "Decoded"]);
  });

  it("rejects text that is not JSON at all, and empty text", () => {
    expect(errors(decodeText("hello\nworld")).map((e) => e.code)).toEqual(["not-json"]);
    expect(errors(decodeText("   ")).map((e) => e.code)).toEqual(["not-json"]);
  });
});

describe("leniency of LogEvent fields (SCHEMA-NOTES section 13)", () => {
  it("treats absent, null, {} and the string 'null' as no value", () => {
    const [ev] = decoded(
      decodeValue(
        oktaEvent({
          client: { zone: "null", ipAddress: "null", geographicalContext: {}, userAgent: null },
          outcome: null,
          transaction: {},
          displayMessage: null,
          request: undefined,
        }),
      ),
    );
    expect(ev?.client).toBeUndefined();
    expect(ev?.outcome).toBeUndefined();
    expect(ev?.transaction).toBeUndefined();
    expect(ev?.displayMessage).toBeUndefined();
  });

  it("accepts version as a number, an upper-case or malformed uuid, and an impossible date", () => {
    const [ev] = decoded(
      decodeValue(
        oktaEvent({ version: 0, uuid: "ABCDEF0123456789ABCDEF012345", published: "2017-09-31T22:23:07.777Z" }),
      ),
    );
    expect(ev).toMatchObject({
      version: "0",
      uuid: "ABCDEF0123456789ABCDEF012345",
      published: "2017-09-31T22:23:07.777Z",
    });
  });

  it("finds the IP chain under request or, for Event Hook deliveries, under client", () => {
    const [a] = decoded(decodeValue(oktaEvent({ request: { ipChain: [{ ip: "203.0.113.1" }, { ip: "10.0.0.1" }] } })));
    expect(a?.ipChain).toEqual(["203.0.113.1", "10.0.0.1"]);
    const [b] = decoded(
      decodeValue(oktaEvent({ request: undefined, client: { ipChain: [{ ip: "203.0.113.9" }], ipAddress: null } })),
    );
    expect(b?.ipChain).toEqual(["203.0.113.9"]);
  });

  it("keeps targets of every type and drops empty ones", () => {
    const [ev] = decoded(
      decodeValue(oktaEvent({ target: [{ id: "0oa1", type: "AppInstance" }, null, {}, { type: "User", id: "00u9" }] })),
    );
    expect(ev?.targets.map((t) => t.type)).toEqual(["AppInstance", "User"]);
  });

  it("accepts a null or absent target list", () => {
    expect(decoded(decodeValue(oktaEvent({ target: null })))[0]?.targets).toEqual([]);
    const { target: _omit, ...noTarget } = oktaEvent();
    expect(decoded(decodeValue(noTarget))[0]?.targets).toEqual([]);
  });
});
