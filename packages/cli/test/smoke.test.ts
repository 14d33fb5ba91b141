import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, REPO, runCliProcess } from "./run-cli.ts";

/**
 * The other CLI tests run `main(argv)` in the test process; this one runs the real binary, as a user
 * does: its shebang, tsx loading the sources, the exit code and the streams of a separate process.
 */
describe("the offboard binary", () => {
  it("decides the example day from a file and exits 1 for its malformed line", async () => {
    const r = await runCliProcess(["inspect", resolve(REPO, "examples/okta-events.jsonl")]);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(17);
    expect(lines.filter((l) => l.decision === "route")).toHaveLength(7);
    expect(r.stderr).toBe("");
  });
});
