import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { envelope, LIFECYCLE_TYPES, oktaEvent } from "@offboard/testkit";
import { Effect } from "effect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handleBatch } from "../src/batch.ts";
import { fromLambdaRecord } from "../src/message.ts";
import { METRICS, makeTelemetry, Telemetry } from "../src/telemetry.ts";
import { sqsRecord, testWorld } from "./factories.ts";

let lines: Array<string>;
let previousDisabled: string | undefined;

beforeEach(() => {
  lines = [];
  previousDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  // Powertools writes INFO lines and EMF to stdout, WARN and ERROR lines to stderr.
  const capture = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((l) => l.trim().length > 0),
    );
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  if (previousDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = previousDisabled;
});

type Json = Record<string, unknown>;
const parsed = () =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Json];
    } catch {
      return [];
    }
  });
const emf = () => parsed().filter((j) => j._aws !== undefined);
const logs = () => parsed().filter((j) => j._aws === undefined);

/** Runs one batch with telemetry that writes to stdout (captured), at a fixed "now". */
const runBatch = async (
  bodies: ReadonlyArray<string>,
  now: number,
  prepare?: (w: ReturnType<typeof testWorld>) => void,
) => {
  const world = testWorld();
  prepare?.(world);
  const telemetry = makeTelemetry({
    logger: new Logger({ serviceName: "offboard", logLevel: "INFO" }),
    metrics: new Metrics({ namespace: "Offboard", serviceName: "offboard" }),
    now: () => now,
  });
  await Effect.runPromise(
    handleBatch(bodies.map((b) => fromLambdaRecord(sqsRecord(b)))).pipe(
      Effect.provideService(Telemetry, telemetry),
      Effect.provide(world.layer),
    ),
  );
};

describe("telemetry", () => {
  it("publishes routed, ignored and rejected counts, per-sink results and the lag as one EMF batch", async () => {
    const published = "2026-11-03T09:00:00.000Z";
    const routed = JSON.stringify(envelope(oktaEvent({ published, eventType: LIFECYCLE_TYPES.deactivated })));
    const ignored = JSON.stringify(envelope(oktaEvent({ eventType: "user.session.start" })));
    await runBatch([routed, ignored, "not json"], Date.parse(published) + 2_500);

    const main = emf().find((m) => m[METRICS.eventsRouted] !== undefined);
    expect(main).toMatchObject({
      [METRICS.eventsRouted]: 1,
      [METRICS.eventsIgnored]: 1,
      [METRICS.eventsRejected]: 1,
      [METRICS.recordsDeadLettered]: 1,
      [METRICS.recordsRetried]: 0,
      [METRICS.lag]: 2_500,
      service: "offboard",
    });
    const slackDelivered = emf().find((m) => m.sink === "slack" && m[METRICS.sinkDelivered] !== undefined);
    expect(slackDelivered?.[METRICS.sinkDelivered]).toBe(1);
    const namespaces = emf().map(
      (m) => (m._aws as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0]?.Namespace,
    );
    expect(new Set(namespaces)).toEqual(new Set(["Offboard"]));
  });

  it("counts a failed sink attempt under its sink", async () => {
    await runBatch([JSON.stringify(envelope(oktaEvent({ eventType: LIFECYCLE_TYPES.suspended })))], Date.now(), (w) =>
      w.slack.failNext(1),
    );
    const failed = emf().find((m) => m.sink === "slack" && m[METRICS.sinkFailed] !== undefined);
    expect(failed?.[METRICS.sinkFailed]).toBe(1);
  });

  it("logs each event with the Okta uuid as correlation id, ids and logins only", async () => {
    const event = oktaEvent({
      uuid: "aaaaaaaa-1111-11ef-8f00-000000000001",
      subject: { login: "jane.doe@example.com" },
    });
    await runBatch([JSON.stringify(envelope(event))], Date.now());
    const line = logs().find((l) => l.message === "event routed");
    expect(line).toMatchObject({
      correlation_id: "aaaaaaaa-1111-11ef-8f00-000000000001",
      subject: { login: "jane.doe@example.com" },
      kind: "deactivated",
    });
    const text = lines.join("\n");
    expect(text).not.toContain("User "); // display names stay out of the logs
    expect(text).not.toContain("198.51.100.7"); // so do client IPs
  });

  it("logs a dead-lettered record with its reason and never its body", async () => {
    await runBatch(["secret-looking body xoxb-123"], Date.now());
    const line = logs().find((l) => l.message === "record dead-lettered");
    expect(line).toMatchObject({ reason: "not-json" });
    expect(lines.join("\n")).not.toContain("xoxb-123");
  });
});
