/**
 * Log forging: in the worker's runtime (Lambda and `offboard worker`), effect's own log lines, such as
 * the pipeline's "case record for <subject id> not saved", are JSON lines like Powertools' own. A
 * subject id carrying a newline and a JSON object stays inside the message string; it never becomes
 * a log line of its own.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { noopSink } from "@offboard/core/testing";
import { Effect, ManagedRuntime } from "effect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { liveLayer } from "../src/runtime.ts";
import { makeTelemetry } from "../src/telemetry.ts";

const FORGED = '{"level":"ERROR","message":"FORGED: all records deleted"}';
const HOSTILE_ID = `00uevil\n${FORGED}\n`;

let lines: Array<string>;
beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n"));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("worker logs", () => {
  it("keep a hostile subject id inside a JSON string value", async () => {
    const telemetry = makeTelemetry({ logger: new Logger({ serviceName: "offboard", logLevel: "INFO" }) });
    const runtime = ManagedRuntime.make(
      // One sink, so the worker starts (it refuses to with none); the test only logs.
      liveLayer({
        env: { OFFBOARD_STATE_DIR: mkdtempSync(join(tmpdir(), "offboard-log-")) },
        telemetry,
        extraSinks: [noopSink("noop")],
      }),
    );
    try {
      // What the pipeline logs when a case record cannot be saved (core/src/pipeline.ts).
      await runtime.runPromise(Effect.logWarning(`case record for ${HOSTILE_ID} not saved: throttled`));
    } finally {
      await runtime.dispose();
    }
    const written = lines.filter((l) => l.trim() !== "");
    const parsed = written.map((l) => JSON.parse(l) as { level: string; message: string });

    expect(written.filter((l) => l.trim() === FORGED)).toEqual([]);
    expect(parsed.filter((j) => j.message.includes("case record for"))).toEqual([
      expect.objectContaining({ level: "WARN", message: `case record for ${HOSTILE_ID} not saved: throttled` }),
    ]);
  });
});
