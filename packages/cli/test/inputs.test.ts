import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasScript, jsonLines, REPO, runCli, runCliOnTerminal } from "./run-cli.ts";

/**
 * How `inspect` and `replay` read what they are given: empty files, directories, one-line files and a
 * terminal as standard input. Both commands must give the same answer for the same input.
 */
const EXAMPLE = resolve(REPO, "examples/okta-events.jsonl");
/** A suspension from the example day: one EventBridge envelope on one line. */
const SUSPENSION = readFileSync(EXAMPLE, "utf8")
  .split("\n")
  .find((l) => l.includes('"user.lifecycle.suspend"')) as string;

let dir: string;
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const rejectedFile = (state: string) => jsonLines(readFileSync(join(state, "rejected.jsonl"), "utf8"));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "offboard-inputs-"));
  expect(SUSPENSION).toBeDefined();
});

describe("an empty file", () => {
  it("is one record rejected as not-json by inspect, and by replay, which keeps it with its reason", async () => {
    const path = file("empty.json", "\n");
    const state = mkdtempSync(join(tmpdir(), "offboard-inputs-"));

    const inspect = await runCli(["inspect", path]);
    const replay = await runCli(["replay", "--no-preview", path], { env: { OFFBOARD_STATE_DIR: state } });

    expect(inspect.code).toBe(1);
    expect(jsonLines(inspect.stdout)).toEqual([
      { decision: "reject", reason: "not-json", message: "empty input", input: path },
    ]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain("records 1, events 1: routed 0, ignored 0, rejected 1");
    expect(rejectedFile(state)).toMatchObject([{ input: path, reason: "not-json", detail: "empty input", body: "\n" }]);
  });
});

describe("a directory", () => {
  it("is named as a directory by inspect and replay, with no raw errno, and exits 2", async () => {
    const folder = join(dir, "events");
    mkdirSync(folder, { recursive: true });
    const state = mkdtempSync(join(tmpdir(), "offboard-inputs-"));

    for (const args of [
      ["inspect", folder],
      ["replay", "--dry-run", folder],
    ]) {
      const r = await runCli(args, { env: { OFFBOARD_STATE_DIR: state } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`offboard: ${folder} is a directory`);
      expect(r.stderr).not.toMatch(/EISDIR|illegal operation/);
    }
  });
});

describe("record names", () => {
  it("names a one-line file's record FILE:1, as when the file has more lines", async () => {
    const one = file("one.jsonl", `${SUSPENSION}\n`);
    const noNewline = file("one.json", SUSPENSION);
    const two = file("two.jsonl", `${SUSPENSION}\n${SUSPENSION}\n`);

    const r = await runCli(["inspect", one, noNewline, two]);

    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.input)).toEqual([`${one}:1`, `${noNewline}:1`, `${two}:1`, `${two}:2`]);
  });

  it("names a JSON document spread over several lines after the file", async () => {
    const pretty = file("pretty.json", JSON.stringify(JSON.parse(SUSPENSION), null, 2));

    const r = await runCli(["inspect", pretty]);

    expect(jsonLines(r.stdout)).toMatchObject([{ decision: "route", kind: "suspended", input: pretty }]);
  });

  it("keeps a one-line file's rejected record in replay as FILE:1, its reason said once", async () => {
    const bad = file("bad.jsonl", '{"version":"0","detail":\n');
    const state = mkdtempSync(join(tmpdir(), "offboard-inputs-"));

    await runCli(["replay", "--no-preview", bad], { env: { OFFBOARD_STATE_DIR: state } });

    const [kept] = rejectedFile(state);
    expect(kept).toMatchObject({ input: `${bad}:1`, reason: "not-json" });
    expect(String(kept?.detail)).not.toMatch(/^not-json/);
    expect(String(kept?.detail)).toContain("not JSON");
  });
});

describe("standard input", () => {
  it("says nothing about standard input when it is a pipe", async () => {
    const r = await runCli(["inspect"], { stdin: SUSPENSION });

    expect(jsonLines(r.stdout)).toMatchObject([{ kind: "suspended", input: "stdin:1" }]);
    expect(r.stderr).not.toContain("standard input");
  });

  if (!hasScript) console.warn("skipping the terminal tests: util-linux `script` is not installed");

  it.skipIf(!hasScript)("inspect says it is reading standard input when that is a terminal", async () => {
    const r = await runCliOnTerminal(["inspect"], { typed: `${SUSPENSION}\n\u0004` });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "offboard: reading Okta events from standard input (paste them, then press Ctrl-D; or name a file: offboard inspect FILE)",
    );
    expect(r.stdout).toContain('"kind":"suspended"');
    expect(r.stdout).toContain('"input":"stdin:1"');
  });

  it.skipIf(!hasScript)("replay says it is reading standard input when that is a terminal", async () => {
    const state = mkdtempSync(join(tmpdir(), "offboard-inputs-"));

    const r = await runCliOnTerminal(["replay", "--no-preview"], {
      typed: `${SUSPENSION}\n\u0004`,
      env: { OFFBOARD_STATE_DIR: state },
    });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain("offboard: reading Okta events from standard input");
    expect(r.stdout).toContain("name a file: offboard replay FILE");
    expect(r.stdout).toContain("records 1, events 1: routed 1");
  });
});
