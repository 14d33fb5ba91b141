import { Effect } from "effect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cliLogLayer } from "../src/logging.ts";

const FORGED = '{"level":"ERROR","message":"FORGED"}';

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the CLI's log lines", () => {
  it("are JSON on stderr, with a hostile value inside a JSON string", async () => {
    const err: Array<string> = [];
    const out: Array<string> = [];
    vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => {
      err.push(args.map(String).join(" "));
    });
    vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
      out.push(args.map(String).join(" "));
    });

    await Effect.runPromise(
      Effect.logWarning(`case record for 00uevil\n${FORGED}\n not saved`).pipe(Effect.provide(cliLogLayer)),
    );

    const lines = err.join("\n").split("\n");
    expect(out).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "WARN",
      message: `case record for 00uevil\n${FORGED}\n not saved`,
    });
  });
});
