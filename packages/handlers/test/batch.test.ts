import { DEFAULT_POLICY, queueTrust } from "@offboard/core";
import { envelope, LIFECYCLE_TYPES, oktaEvent } from "@offboard/testkit";
import { Effect } from "effect";
import { describe, expect, it, vi } from "vitest";
import { handleBatch, toSettled } from "../src/batch.ts";
import { fromLambdaRecord } from "../src/message.ts";
import { ledgerFailingComplete, sqsRecord, testWorld } from "./factories.ts";

const body = (detail: unknown, overrides: Record<string, unknown> = {}) => JSON.stringify(envelope(detail, overrides));
const run = (world: ReturnType<typeof testWorld>, bodies: ReadonlyArray<string>) =>
  Effect.runPromise(handleBatch(bodies.map((b) => fromLambdaRecord(sqsRecord(b)))).pipe(Effect.provide(world.layer)));

describe("handleBatch", () => {
  it("acknowledges a routed event once every sink has it", async () => {
    const world = testWorld();
    const [d] = await run(world, [body(oktaEvent())]);
    expect(d?.action).toBe("ack");
    expect(d?.outcome.status).toBe("delivered");
    expect(world.jira.delivered).toHaveLength(1);
    expect(world.slack.delivered).toHaveLength(1);
  });

  it("acknowledges an event offboard does not handle without delivering it", async () => {
    const world = testWorld();
    const [d] = await run(world, [body(oktaEvent({ eventType: "user.session.start" }))]);
    expect(d?.action).toBe("ack");
    expect(d?.outcome.status).toBe("ignored");
    expect(world.slack.delivered).toHaveLength(0);
  });

  it("sends a body that is not JSON to the DLQ unchanged, with reason not-json and the message id", async () => {
    const world = testWorld();
    const [d] = await run(world, ["this is not json"]);
    expect(d?.action).toBe("dead-lettered");
    expect(world.dlq.sent).toHaveLength(1);
    expect(world.dlq.sent[0]?.message.body).toBe("this is not json");
    expect(world.dlq.sent[0]?.message.messageId).toBe(d?.messageId);
    expect(world.dlq.sent[0]?.reason.code).toBe("not-json");
  });

  it("dead-letters a message that reappears (delete lost, visibility expired) only once", async () => {
    const world = testWorld();
    const record = sqsRecord("still not json");
    const again = (r: typeof record) =>
      Effect.runPromise(handleBatch([fromLambdaRecord(r)]).pipe(Effect.provide(world.layer)));
    const [first] = await again(record);
    const [second] = await again({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } });
    expect([first?.action, second?.action]).toEqual(["dead-lettered", "dead-lettered"]);
    expect(world.dlq.sent).toHaveLength(1);
  });

  it("retries the DLQ bookkeeping like a sink's, so a reappearing message is still dead-lettered once", async () => {
    const world = testWorld({}, { ledger: ledgerFailingComplete(2) });
    const record = sqsRecord("not json either");
    const again = () => Effect.runPromise(handleBatch([fromLambdaRecord(record)]).pipe(Effect.provide(world.layer)));

    const [first] = await again();
    const [second] = await again();

    expect([first?.action, second?.action]).toEqual(["dead-lettered", "dead-lettered"]);
    expect(world.dlq.sent).toHaveLength(1);
  });

  it("logs a dead-lettered message whose bookkeeping could not be saved, and still settles it", async () => {
    const world = testWorld({}, { ledger: ledgerFailingComplete(100) });
    const warn = vi.spyOn(world.telemetry.logger, "warn");

    const [d] = await run(world, ["{oops"]);

    expect(d?.action).toBe("dead-lettered");
    const logged = warn.mock.calls.find(([m]) => String(m).startsWith("dead-lettered, but the ledger"));
    expect(logged?.[1]).toMatchObject({ messageId: d?.messageId, error: "throttled on purpose" });
  });

  it("dead-letters a redriven copy again: it arrives with a new message id and is never dropped", async () => {
    const world = testWorld();
    await run(world, ["poison"]);
    await run(world, ["poison"]);
    expect(world.dlq.sent).toHaveLength(2);
  });

  it("dead-letters an envelope from a source that is not Okta as untrusted-source", async () => {
    const world = testWorld();
    await run(world, [body(oktaEvent(), { source: "aws.partner/evil.example/acme" })]);
    expect(world.dlq.sent[0]?.reason.code).toBe("untrusted-source");
    expect(world.slack.delivered).toHaveLength(0);
  });

  it("dead-letters a deactivation without a User target as no-user-target", async () => {
    const world = testWorld();
    await run(world, [body(oktaEvent({ target: [{ id: "0oa1", type: "AppInstance" }] }))]);
    expect(world.dlq.sent[0]?.reason.code).toBe("no-user-target");
  });

  it("dead-letters a record whose sink failed permanently as sink-permanent, with the vendor's message", async () => {
    const world = testWorld();
    world.slack.failNext(1, "permanent");
    const [d] = await run(world, [body(oktaEvent({ eventType: LIFECYCLE_TYPES.suspended }))]);
    expect(d?.action).toBe("dead-lettered");
    expect(world.dlq.sent[0]?.reason.code).toBe("sink-permanent");
    expect(world.dlq.sent[0]?.reason.detail).toContain("slack failed on purpose");
  });

  it("leaves a rejected record for redelivery when the DLQ cannot take it", async () => {
    const world = testWorld();
    world.dlq.failNext(1);
    const [d] = await run(world, ["{not json"]);
    expect(d?.action).toBe("retry");
    expect(d?.deadLetterError).toContain("DLQ send failed");
  });

  it("leaves a record with a transient sink failure for redelivery and skips its delivered sinks next time", async () => {
    const world = testWorld();
    world.slack.failNext(1);
    const record = body(oktaEvent());
    const [first] = await run(world, [record]);
    const [second] = await run(world, [record]);
    expect(first?.action).toBe("retry");
    expect(second?.action).toBe("ack");
    expect(world.jira.delivered).toHaveLength(1);
    expect(world.slack.delivered).toHaveLength(1);
  });

  it("answers for every record in record order, whatever happened to each", async () => {
    const world = testWorld();
    const bodies = [body(oktaEvent()), "oops", body(oktaEvent({ eventType: "user.session.start" }))];
    const dispositions = await run(world, bodies);
    expect(dispositions.map((d) => d.action)).toEqual(["ack", "dead-lettered", "ack"]);
  });
});

describe("toSettled", () => {
  it("rejects exactly the records to redeliver, in record order", async () => {
    const world = testWorld();
    world.slack.failNext(1);
    const dispositions = await run(world, [body(oktaEvent({ eventType: LIFECYCLE_TYPES.suspended })), "x"]);
    expect(toSettled(dispositions).map((s) => s.status)).toEqual(["rejected", "fulfilled"]);
  });

  describe("a route naming a sink that is not configured (sink-inactive)", () => {
    // An explicit policy that sends suspensions to a "pagerduty" sink nobody configured.
    const policy = { ...DEFAULT_POLICY, routes: { ...DEFAULT_POLICY.routes, suspended: ["pagerduty", "slack"] } };
    const suspension = () => body(oktaEvent({ eventType: LIFECYCLE_TYPES.suspended }));
    const receivedTimes = (world: ReturnType<typeof testWorld>, text: string, count: number) => {
      const r = sqsRecord(text);
      return Effect.runPromise(
        handleBatch([
          fromLambdaRecord({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(count) } }),
        ]).pipe(Effect.provide(world.layer)),
      );
    };

    it("is retried, never acknowledged, while the configuration may still be fixed", async () => {
      const world = testWorld({ policy });
      const [d] = await receivedTimes(world, suspension(), 1);
      expect(d?.action).toBe("retry");
      expect(d?.outcome.reason).toContain("pagerduty");
      expect(world.slack.delivered).toHaveLength(1);
      expect(world.dlq.sent).toHaveLength(0);
    });

    it("is dead-lettered with reason sink-inactive from its third receive", async () => {
      const world = testWorld({ policy });
      const [d] = await receivedTimes(world, suspension(), 3);
      expect(d?.action).toBe("dead-lettered");
      expect(world.dlq.sent[0]?.reason.code).toBe("sink-inactive");
      expect(world.dlq.sent[0]?.reason.detail).toContain("pagerduty");
    });
  });

  describe("trust in the queue worker", () => {
    it("dead-letters a bare LogEvent sent to the queue as untrusted-shape", async () => {
      const world = testWorld({ trust: queueTrust() });
      const [d] = await run(world, [JSON.stringify(oktaEvent())]);
      expect(d?.action).toBe("dead-lettered");
      expect(world.dlq.sent[0]?.reason.code).toBe("untrusted-shape");
      expect(world.slack.delivered).toHaveLength(0);
    });

    it("dead-letters an envelope from another Okta org's partner source when the prefix names this org", async () => {
      const world = testWorld({ trust: queueTrust("aws.partner/okta.com/acme") });
      const [ours] = await run(world, [body(oktaEvent())]);
      const [theirs] = await run(world, [body(oktaEvent(), { source: "aws.partner/okta.com/other/offboard" })]);
      expect(ours?.action).toBe("ack");
      expect(theirs?.action).toBe("dead-lettered");
      expect(world.dlq.sent[0]?.reason.code).toBe("untrusted-source");
    });

    it("routes an envelope from Okta's partner source", async () => {
      const world = testWorld({ trust: queueTrust() });
      const [d] = await run(world, [body(oktaEvent())]);
      expect(d?.action).toBe("ack");
    });
  });
});
