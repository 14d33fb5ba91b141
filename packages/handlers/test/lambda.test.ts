import { envelope, LIFECYCLE_TYPES, oktaEvent } from "@offboard/testkit";
import type { Context, SQSEvent } from "aws-lambda";
import { Effect, Layer } from "effect";
import { describe, expect, it } from "vitest";
import { makeSqsHandler } from "../src/lambda.ts";
import { makeWorkerRuntime, type WorkerServices } from "../src/runtime.ts";
import { sqsRecord, testWorld } from "./factories.ts";

const lambdaContext = { functionName: "offboard-sqs-worker", awsRequestId: "req-1" } as Context;
const event = (...bodies: ReadonlyArray<string>): SQSEvent => ({ Records: bodies.map((b) => sqsRecord(b)) });
const eb = (detail: unknown) => JSON.stringify(envelope(detail));

describe("the SQS worker Lambda handler", () => {
  it("reports no batch item failures when every record settled", async () => {
    const world = testWorld();
    const handler = makeSqsHandler(makeWorkerRuntime(() => world.layer));
    const response = await handler(event(eb(oktaEvent()), "not json"), lambdaContext);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(world.dlq.sent).toHaveLength(1);
  });

  it("reports exactly the records SQS should redeliver", async () => {
    const world = testWorld();
    world.slack.failNext(1);
    const handler = makeSqsHandler(makeWorkerRuntime(() => world.layer));
    const input = event(eb(oktaEvent({ eventType: LIFECYCLE_TYPES.deleted })), eb(oktaEvent()));
    const response = await handler(input, lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: input.Records[0]?.messageId }]);
  });

  it("fails every record when the services cannot be built, and builds them again on the next invocation", async () => {
    const world = testWorld();
    let builds = 0;
    const flaky = (): Layer.Layer<WorkerServices, unknown> => {
      builds += 1;
      return builds === 1 ? Layer.unwrap(Effect.fail(new Error("Secrets Manager unavailable"))) : world.layer;
    };
    const handler = makeSqsHandler(makeWorkerRuntime(flaky));
    const input = event(eb(oktaEvent()), eb(oktaEvent()));
    const first = await handler(input, lambdaContext);
    const second = await handler(input, lambdaContext);
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(input.Records.map((r) => r.messageId));
    expect(second.batchItemFailures).toEqual([]);
  });
});

describe("a failed invocation", () => {
  it("tells its cause before the batch is redelivered", async () => {
    const world = testWorld();
    const causes: Array<string> = [];
    const runtime = makeWorkerRuntime(() => world.layer, {
      onRunFailed: (e) => causes.push(e instanceof Error ? e.message : String(e)),
    });

    await expect(runtime.run(Effect.die(new Error("handler defect")))).rejects.toThrow();

    expect(causes).toHaveLength(1);
    expect(causes[0]).toContain("handler defect");
  });
});

describe("makeWorkerRuntime", () => {
  it("rebuilds its services once the refresh interval has passed", async () => {
    let clock = 0;
    let builds = 0;
    const world = testWorld();
    const runtime = makeWorkerRuntime(
      () => {
        builds += 1;
        return world.layer;
      },
      { refreshMs: 1_000, now: () => clock },
    );
    await runtime.run(Effect.void);
    clock = 500;
    await runtime.run(Effect.void);
    clock = 1_500;
    await runtime.run(Effect.void);
    expect(builds).toBe(2);
    await runtime.dispose();
  });

  it("keeps serving with the previous services when a refresh fails", async () => {
    let clock = 0;
    let builds = 0;
    const failures: Array<unknown> = [];
    const world = testWorld();
    const runtime = makeWorkerRuntime(
      () => {
        builds += 1;
        return builds === 2 ? Layer.unwrap(Effect.fail(new Error("rotated secret unreadable"))) : world.layer;
      },
      { refreshMs: 1_000, now: () => clock, onRefreshFailed: (e) => failures.push(e) },
    );
    await runtime.run(Effect.void);
    clock = 2_000;
    const result = await runtime.run(Effect.succeed("still working"));
    expect(result).toBe("still working");
    expect(failures).toHaveLength(1);
    await runtime.dispose();
  });
});
