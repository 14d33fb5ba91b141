/**
 * The local state directory holds personal data: it is private (0700, files 0600), and
 * `offboard state purge [--older-than]` removes it, all of it or what is older than the age given.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "./run-cli.ts";

const EXAMPLE = resolve(REPO, "examples/okta-events.jsonl");
const mode = (path: string) => statSync(path).mode & 0o777;
const freshDir = () => join(mkdtempSync(join(tmpdir(), "offboard-state-")), "state");
const nonEmptyLines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");

describe("the state directory", () => {
  it("is created 0700 by replay, with outbox.jsonl, rejected.jsonl and ledger.sqlite 0600", async () => {
    const state = freshDir();

    const r = await runCli(["replay", "--no-preview", EXAMPLE], { env: { OFFBOARD_STATE_DIR: state } });

    expect(r.code).toBe(0);
    expect(mode(state)).toBe(0o700);
    for (const f of ["outbox.jsonl", "rejected.jsonl", "ledger.sqlite"])
      expect([f, mode(join(state, f))]).toEqual([f, 0o600]);
  });

  it("is tightened when an earlier version left it readable by others", async () => {
    const state = freshDir();
    mkdirSync(state, { mode: 0o755 });
    writeFileSync(join(state, "outbox.jsonl"), "", { mode: 0o644 });
    chmodSync(state, 0o755);
    chmodSync(join(state, "outbox.jsonl"), 0o644);

    const r = await runCli(["replay", "--no-preview", EXAMPLE], { env: { OFFBOARD_STATE_DIR: state } });

    expect(r.code).toBe(0);
    expect(mode(state)).toBe(0o700);
    expect(mode(join(state, "outbox.jsonl"))).toBe(0o600);
  });

  it("leaves a shared directory and its other files alone, while making its own files 0600", async () => {
    const shared = freshDir();
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, "notes.txt"), "mine", { mode: 0o644 });
    chmodSync(join(shared, "notes.txt"), 0o644);

    const r = await runCli(["replay", "--no-preview", EXAMPLE], { env: { OFFBOARD_STATE_DIR: shared } });

    expect(r.code).toBe(0);
    expect(mode(shared)).toBe(0o755);
    expect(mode(join(shared, "notes.txt"))).toBe(0o644);
    expect(mode(join(shared, "outbox.jsonl"))).toBe(0o600);
  });
});

describe("offboard state purge", () => {
  const replayed = async () => {
    const state = freshDir();
    const r = await runCli(["replay", "--no-preview", EXAMPLE], { env: { OFFBOARD_STATE_DIR: state } });
    expect(r.code).toBe(0);
    return state;
  };

  it("deletes the outbox, the rejected records and the ledger", async () => {
    const state = await replayed();

    const r = await runCli(["state", "purge"], { env: { OFFBOARD_STATE_DIR: state } });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain("outbox.jsonl: deleted (6 lines)");
    expect(r.stdout).toContain("rejected.jsonl: deleted (1 lines)");
    expect(r.stdout).toContain("ledger.sqlite: deleted");
    for (const f of ["outbox.jsonl", "rejected.jsonl", "ledger.sqlite", "ledger.sqlite-wal"]) {
      expect(existsSync(join(state, f))).toBe(false);
    }
  });

  it("with --older-than keeps younger entries and removes older ones, from the ledger file too", async () => {
    const state = await replayed();
    const old = "2020-01-01T00:00:00.000Z";
    // Age one outbox line, the rejected line and one user's ledger rows.
    const outbox = nonEmptyLines(join(state, "outbox.jsonl"));
    const aged = JSON.parse(outbox[0]!) as { deliveredAt: string; eventId: string; subject: { id: string } };
    aged.deliveredAt = old;
    writeFileSync(
      join(state, "outbox.jsonl"),
      [JSON.stringify(aged), ...outbox.slice(1)].map((l) => `${l}\n`).join(""),
    );
    const rejected = JSON.parse(nonEmptyLines(join(state, "rejected.jsonl"))[0]!) as { at: string };
    writeFileSync(join(state, "rejected.jsonl"), `${JSON.stringify({ ...rejected, at: old })}\n`);
    const db = new Database(join(state, "ledger.sqlite"));
    const agedDeliveries = db
      .prepare("UPDATE deliveries SET updated_at = ? WHERE event_id = ?")
      .run(Date.parse(old), aged.eventId).changes;
    const agedCases = db
      .prepare("UPDATE cases SET updated_at = ? WHERE subject_id = ?")
      .run(Date.parse(old), aged.subject.id).changes;
    const total = (
      db.prepare("SELECT (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM cases) AS n").get() as {
        n: number;
      }
    ).n;
    db.close();
    expect(agedDeliveries).toBeGreaterThan(0);

    const r = await runCli(["state", "purge", "--older-than", "30d"], { env: { OFFBOARD_STATE_DIR: state } });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain("outbox.jsonl: removed 1 lines, kept 5");
    expect(r.stdout).toContain("rejected.jsonl: removed 1 lines, kept 0");
    expect(r.stdout).toContain(
      `ledger.sqlite: removed ${agedDeliveries + agedCases} rows, kept ${total - agedDeliveries - agedCases}`,
    );
    const left = nonEmptyLines(join(state, "outbox.jsonl")).map((l) => (JSON.parse(l) as { eventId: string }).eventId);
    expect(left).not.toContain(aged.eventId);
    // Compacted: the forgotten event's id is not left in the file's free pages.
    expect(readFileSync(join(state, "ledger.sqlite")).includes(Buffer.from(aged.eventId))).toBe(false);
    expect(mode(join(state, "outbox.jsonl"))).toBe(0o600);
  });

  it("says what an age must look like", async () => {
    const r = await runCli(["state", "purge", "--older-than", "a month"], { env: { OFFBOARD_STATE_DIR: freshDir() } });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--older-than must be a number of days, hours or minutes such as 30d");
  });
});
