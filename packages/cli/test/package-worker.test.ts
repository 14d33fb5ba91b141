/**
 * `npm run package:worker`: a folder that runs the CLI (for `offboard worker` in a container) with plain
 * node and nothing but its native dependency beside it. Checked outside the repository, so no
 * node_modules above it can help.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "./run-cli.ts";

const work = mkdtempSync(join(tmpdir(), "offboard-worker-package-"));
const out = join(work, "app");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync(process.execPath, [resolve(REPO, "packages/cli/scripts/build.js"), "--worker-only", "--out", out], {
    stdio: "pipe",
  });
}, 60_000);

const node = (args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, [join(out, "bin/offboard.js"), ...args], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });

describe("the standalone worker package", () => {
  it("holds the bundle, the launcher, a manifest and better-sqlite3 with its runtime dependencies only", () => {
    expect(readdirSync(out).sort()).toEqual(["bin", "dist", "node_modules", "package.json"]);
    expect(readdirSync(join(out, "node_modules")).sort()).toEqual(["better-sqlite3", "bindings", "file-uri-to-path"]);
    expect(existsSync(join(out, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).toBe(true);
    expect(existsSync(join(out, "node_modules/better-sqlite3/src"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as { dependencies: object };
    expect(Object.keys(manifest.dependencies)).toEqual(["better-sqlite3"]);
  });

  it("runs the worker command's help with plain node", () => {
    expect(node(["worker", "--help"])).toContain("Usage: offboard worker");
  });

  it("replays events through the SQLite ledger outside the repository, and remembers them", () => {
    const example = resolve(REPO, "examples/okta-events.jsonl");
    const first = node(["replay", example]);
    const second = node(["replay", example]);

    expect(existsSync(join(work, ".offboard/ledger.sqlite"))).toBe(true);
    expect(first).toMatch(/^outbox +6 +1 /m);
    expect(second).toMatch(/^outbox +0 +7 /m);
  });
});
