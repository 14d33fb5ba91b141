import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeSqsHandler } from "../src/lambda.ts";
import { lambdaRuntime } from "../src/runtime.ts";
import { sqsRecord } from "./factories.ts";

let lines: Array<string>;
let level: string | undefined;
beforeEach(() => {
  lines = [];
  // vitest.config.ts silences Powertools for the other tests; this one reads the log.
  level = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env.POWERTOOLS_LOG_LEVEL = level;
});

describe("a Lambda cold start with a bad configuration", () => {
  it("logs which setting is wrong, without the secret, and fails the batch so SQS redelivers it", async () => {
    const token = "xoxb-fake_cold-start-token-never-printed";
    const handler = makeSqsHandler(
      lambdaRuntime({ SLACK_BOT_TOKEN: token, SLACK_CHANNEL_ID: "general", OFFBOARD_LEDGER_TABLE: "ledger" }),
    );
    const record = sqsRecord("{}");
    const response = await handler({ Records: [record] }, {} as never);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    const logged = lines.join("");
    expect(logged).toContain("cannot start");
    expect(logged).toContain("SLACK_CHANNEL_ID must be a channel id");
    expect(logged).not.toContain(token);
  });
});
