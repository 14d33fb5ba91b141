import type { RecordOutcome } from "@offboard/core";
import { describe, expect, it } from "vitest";
import { queueUrlFromArn, retryAfterOf, visibilitySeconds } from "../src/visibility.ts";

const outcome = (...waits: ReadonlyArray<number | undefined>): RecordOutcome => ({
  recordId: "m-1",
  status: "retry-later",
  events: [
    {
      decision: "route",
      sinks: waits.map((w, i) => ({
        sink: `s${i}`,
        status: "failed",
        retryable: true,
        ...(w !== undefined && { retryAfterMs: w }),
      })),
    },
  ],
});

describe("a record to retry after a vendor's Retry-After", () => {
  it("waits for the longest Retry-After among its sinks", () => {
    expect(retryAfterOf(outcome(1_000, undefined, 30_000))).toBe(30_000);
  });

  it("has no wait of its own when no sink named one (the queue's visibility timeout applies)", () => {
    expect(retryAfterOf(outcome(undefined, undefined))).toBeUndefined();
  });

  it("comes back after whole seconds, never sooner than asked, within SQS's 12 hours", () => {
    expect([1, 999, 1_000, 1_001, 30_000].map(visibilitySeconds)).toEqual([1, 1, 1, 2, 30]);
    expect(visibilitySeconds(86_400_000)).toBe(43_200);
  });

  it("finds the queue of a Lambda record by its event source ARN", () => {
    expect(queueUrlFromArn("arn:aws:sqs:eu-west-1:123456789012:offboard-events")).toBe(
      "https://sqs.eu-west-1.amazonaws.com/123456789012/offboard-events",
    );
    expect(queueUrlFromArn("arn:aws-cn:sqs:cn-north-1:123456789012:q")).toBe(
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
    );
    expect(queueUrlFromArn("not an arn")).toBeUndefined();
  });
});
