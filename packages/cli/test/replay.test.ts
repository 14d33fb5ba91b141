import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "./run-cli.ts";

const EXAMPLE = resolve(REPO, "examples/okta-events.jsonl");
const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("offboard replay (the example day, local sinks only)", () => {
  it("previews every routed event, keeps the malformed line, and delivers nothing on a second run", async () => {
    const state = mkdtempSync(join(tmpdir(), "offboard-replay-"));
    const env = { OFFBOARD_STATE_DIR: state };

    const first = await runCli(["replay", EXAMPLE], { env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("sinks active: none");
    expect(first.stderr).toContain("no Slack or Jira configured: previewing what they would receive");
    // Six distinct lifecycle events; the duplicate delivery of one of them is recognised.
    expect(first.stdout).toContain("records 17, events 17: routed 7, ignored 9, rejected 1");
    expect(first.stdout).toMatch(/outbox\s+6\s+1\s+0\s+0\s+0/);
    // The hostile display name is shown literally, not interpreted.
    expect(first.stdout).toContain("<!channel> URGENT <https://evil.example/login|verify your account>");
    expect(first.stdout).toContain("Slack alert · reactivated");
    expect(first.stdout).toContain("Jira ticket · deactivated");

    const outbox = lines(join(state, "outbox.jsonl"));
    expect(outbox.map((l) => l.kind)).toEqual([
      "suspended",
      "deactivated",
      "unsuspended",
      "deactivated",
      "deleted",
      "reactivated",
    ]);
    expect(new Set(outbox.map((l) => l.eventId)).size).toBe(6);
    const rejected = lines(join(state, "rejected.jsonl"));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ reason: "not-json", input: `${EXAMPLE}:10` });
    // The reason is said once: `detail` does not repeat the code that `reason` already gives.
    expect(rejected[0]?.detail).toMatch(/^not JSON: /);

    const second = await runCli(["replay", EXAMPLE], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/outbox\s+0\s+7\s+0\s+0\s+0/);
    expect(second.stdout).toContain("Nothing delivered: every routed event was delivered by an earlier run");
    expect(lines(join(state, "outbox.jsonl"))).toHaveLength(6);
    expect(lines(join(state, "rejected.jsonl"))).toHaveLength(1);
  });

  it("remembers nothing with --dry-run", async () => {
    const state = mkdtempSync(join(tmpdir(), "offboard-replay-"));
    const r = await runCli(["replay", "--dry-run", "--no-preview", EXAMPLE], { env: { OFFBOARD_STATE_DIR: state } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("Slack alert");
    // --no-preview: the hint does not promise a preview.
    expect(r.stderr).not.toContain("previewing");
    expect(r.stderr).toContain("no Slack or Jira configured: deliveries go to the outbox only");
    expect(existsSync(join(state, "ledger.sqlite"))).toBe(false);
  });

  it("exits 1 with --strict when a record was rejected, and says why", async () => {
    const state = mkdtempSync(join(tmpdir(), "offboard-replay-"));
    const r = await runCli(["replay", "--strict", "--dry-run", "--no-preview", EXAMPLE], {
      env: { OFFBOARD_STATE_DIR: state },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--strict: 1 record(s) rejected");
  });

  it("exits 0 with --strict when nothing was rejected", async () => {
    const state = mkdtempSync(join(tmpdir(), "offboard-replay-"));
    const good = join(state, "good.jsonl");
    writeFileSync(
      good,
      readFileSync(EXAMPLE, "utf8")
        .split("\n")
        .filter((_, i) => i !== 9)
        .join("\n"),
    );
    const r = await runCli(["replay", "--strict", "--dry-run", "--no-preview", good], {
      env: { OFFBOARD_STATE_DIR: state },
    });
    expect(r.stdout).toContain("rejected 0");
    expect(r.code).toBe(0);
  });

  it("stops with a clear error naming a configuration mistake", async () => {
    const r = await runCli(["replay", EXAMPLE], { env: { SLACK_BOT_TOKEN: "xoxb-fake_not-a-real-token-000" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SLACK_CHANNEL_ID");
    expect(r.stderr).not.toContain("xoxb-fake_not-a-real-token-000");
  });
});
