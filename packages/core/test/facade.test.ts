import { envelope, oktaEvent, oktaUser } from "@offboard/testkit";
import { Effect, Layer } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classify, promiseSink, runPipeline } from "../src/facade.ts";
import { decideBody, PipelineConfig, processBatch } from "../src/pipeline.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import { HrisDirectory } from "../src/ports/hris.ts";
import { DeliveryLedger } from "../src/ports/ledger.ts";
import { Sinks, sinksOf } from "../src/ports/sink.ts";

const POLICY = { routes: { suspended: ["log"], deactivated: ["log"], deleted: ["log"] } };

/** A promise sink that remembers what it was given. */
const recordingSink = (name = "log") => {
  const delivered: Array<{ id: string; kind: string; followUp: boolean }> = [];
  const sink = promiseSink(name, async (event, context) => {
    delivered.push({ id: event.id, kind: event.kind, followUp: context.followUp });
    return { ref: `${name}-${delivered.length}`, url: `https://example.com/${delivered.length}` };
  });
  return { sink, delivered };
};

describe("classify", () => {
  it("gives, for any input, exactly the decisions the pipeline's decoder makes", () => {
    const inputs = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom(
        JSON.stringify(envelope(oktaEvent())),
        JSON.stringify(oktaEvent({ eventType: "user.lifecycle.suspend" })),
        `${JSON.stringify(oktaEvent())}\n${JSON.stringify(oktaEvent({ outcome: { result: "FAILURE" } }))}`,
        "not json",
      ),
    );
    fc.assert(
      fc.property(inputs, (body) => {
        expect(classify(body)).toEqual(decideBody(body, DEFAULT_POLICY).map((d) => d.decision));
      }),
    );
  });

  it("routes a deactivation to the sinks a partial policy names", () => {
    const [decision] = classify(JSON.stringify(oktaEvent()), POLICY);
    expect(decision).toMatchObject({ _tag: "Route", sinks: ["log"], event: { kind: "deactivated" } });
  });

  it("throws the policy error, naming the key, for an invalid policy", () => {
    expect(() => classify("{}", { routes: { fired: ["log"] } })).toThrow(/routes/);
  });
});

describe("runPipeline", () => {
  it("delivers through a promise sink and treats the same event as a duplicate with the returned ledger", async () => {
    const { sink, delivered } = recordingSink();
    const body = JSON.stringify(envelope(oktaEvent()));

    const first = await runPipeline([{ id: "m-1", body }], { sinks: [sink], policy: POLICY });
    const again = await runPipeline([{ id: "m-2", body }], { sinks: [sink], policy: POLICY, ledger: first.ledger });

    expect(first.outcomes[0]).toMatchObject({ recordId: "m-1", status: "delivered" });
    expect(first.outcomes[0]?.events[0]?.sinks[0]).toMatchObject({
      sink: "log",
      status: "delivered",
      receipt: { sink: "log", ref: "log-1", url: "https://example.com/1" },
    });
    expect(again.outcomes[0]?.events[0]?.sinks[0]).toMatchObject({ sink: "log", status: "duplicate" });
    expect(delivered).toHaveLength(1);
  });

  it("delivers the same event again with a fresh ledger", async () => {
    const { sink, delivered } = recordingSink();
    const body = JSON.stringify(oktaEvent());

    await runPipeline([{ id: "a", body }], { sinks: [sink], policy: POLICY });
    await runPipeline([{ id: "b", body }], { sinks: [sink], policy: POLICY });

    expect(delivered).toHaveLength(2);
  });

  it("gives the same record outcomes as processBatch with the same sinks and policy", async () => {
    const user = oktaUser();
    const records = [
      { id: "1", body: JSON.stringify(oktaEvent({ eventType: "user.lifecycle.suspend", target: [user] })) },
      { id: "2", body: "{not json" },
      { id: "3", body: oktaEvent({ eventType: "user.session.start" }) },
      { id: "4", body: JSON.stringify(oktaEvent({ target: [user] })) },
    ];
    const facade = await runPipeline(records, { sinks: [recordingSink().sink], policy: POLICY });
    const effect = await Effect.runPromise(
      Effect.provide(
        processBatch(records),
        Layer.mergeAll(
          PipelineConfig.layer({
            policy: { ...DEFAULT_POLICY, routes: { ...DEFAULT_POLICY.routes, ...POLICY.routes } },
          }),
          DeliveryLedger.inMemory(),
          HrisDirectory.none,
          Layer.succeed(Sinks, sinksOf([recordingSink().sink])),
        ),
      ),
    );

    expect(facade.outcomes.map((o) => [o.recordId, o.status, o.reasonCode])).toEqual(
      effect.map((o) => [o.recordId, o.status, o.reasonCode]),
    );
    expect(facade.outcomes.map((o) => o.status)).toEqual(["delivered", "rejected", "ignored", "delivered"]);
  });

  it("retries later when the sink throws, and rejects with the sink's message when it classifies the error permanent", async () => {
    const body = JSON.stringify(oktaEvent());
    const flaky = promiseSink("log", async () => {
      throw new Error("upstream 503");
    });
    const broken = promiseSink(
      "log",
      async () => {
        throw new Error("channel_not_found");
      },
      { classifyError: () => "permanent" },
    );

    const transient = await runPipeline([{ id: "t", body }], { sinks: [flaky], policy: POLICY });
    const permanent = await runPipeline([{ id: "p", body }], { sinks: [broken], policy: POLICY });

    expect(transient.outcomes[0]).toMatchObject({ status: "retry-later" });
    expect(transient.outcomes[0]?.reason).toContain("upstream 503");
    expect(permanent.outcomes[0]).toMatchObject({ status: "rejected", reasonCode: "sink-permanent" });
    expect(permanent.outcomes[0]?.reason).toContain("channel_not_found");
  });

  it("cross-checks deactivations against a promise-based HR directory", async () => {
    const user = oktaUser({ login: "ada@example.com" });
    const body = JSON.stringify(oktaEvent({ target: [user] }));
    const asked: Array<string> = [];

    const { outcomes } = await runPipeline([{ id: "h", body }], {
      sinks: [recordingSink().sink],
      policy: POLICY,
      hris: {
        findByEmail: async (email) => {
          asked.push(email);
          return undefined;
        },
      },
    });

    expect(asked).toEqual(["ada@example.com"]);
    expect(outcomes[0]?.status).toBe("delivered");
  });

  it("refuses two sinks with the same name", async () => {
    await expect(
      runPipeline([], { sinks: [recordingSink().sink, recordingSink().sink], policy: POLICY }),
    ).rejects.toThrow(/two sinks are named "log"/);
  });
});
