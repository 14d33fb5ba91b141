import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli } from "./run-cli.ts";

const user = { id: "00u1jane", type: "User", alternateId: "jane@example.com", displayName: "Jane Doe" };
const admin = { id: "00u1admin", type: "User", alternateId: "admin@example.com", displayName: "Admin" };
const logEvent = (uuid: string, eventType: string, extra: Record<string, unknown> = {}) => ({
  uuid,
  published: "2026-11-03T09:00:00.000Z",
  eventType,
  version: "0",
  actor: admin,
  outcome: { result: "SUCCESS" },
  target: [user],
  ...extra,
});
const envelope = (detail: unknown, source = "aws.partner/okta.com/acme/stream") => ({
  version: "0",
  id: "eb-1",
  "detail-type": "SystemLog",
  source,
  detail,
});

let dir: string;
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "offboard-inspect-"));
});

describe("offboard inspect", () => {
  it("prints one JSON line per LogEvent with the decision, subject and actor", async () => {
    const path = file("eb.json", envelope(logEvent("u-1", "user.lifecycle.deactivate")));
    const r = await runCli(["inspect", path]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      {
        uuid: "u-1",
        eventType: "user.lifecycle.deactivate",
        published: "2026-11-03T09:00:00.000Z",
        decision: "route",
        kind: "deactivated",
        subject: { id: "00u1jane", login: "jane@example.com", displayName: "Jane Doe" },
        actor: { id: "00u1admin", login: "admin@example.com", displayName: "Admin", type: "User" },
        sinks: ["jira", "slack"],
        input: `${path}:1`,
      },
    ]);
  });

  it("reads Event Hook payloads, API arrays and SQS events", async () => {
    const hook = file("hook.json", {
      eventType: "com.okta.event_hook",
      source: "https://acme.okta.com/api/v1/eventHooks/who1",
      data: { events: [logEvent("h-1", "user.lifecycle.suspend"), logEvent("h-2", "user.session.start")] },
    });
    const api = file("api.json", [logEvent("a-1", "user.lifecycle.delete.initiated")]);
    const sqs = file("sqs.json", {
      Records: [{ body: JSON.stringify(envelope(logEvent("s-1", "user.lifecycle.reactivate"))) }],
    });
    const r = await runCli(["inspect", hook, api, sqs]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => [l.uuid, l.decision, l.kind ?? l.reason])).toEqual([
      ["h-1", "route", "suspended"],
      ["h-2", "ignore", "event-type-not-handled"],
      ["a-1", "route", "deleted"],
      ["s-1", "route", "reactivated"],
    ]);
  });

  it("reads JSON Lines from standard input and exits 1 when something was rejected", async () => {
    const stdin = [
      JSON.stringify(envelope(logEvent("l-1", "user.lifecycle.unsuspend"))),
      "{broken",
      JSON.stringify(envelope(logEvent("l-2", "user.lifecycle.deactivate"), "not.okta")),
    ].join("\n");
    const r = await runCli(["inspect", "-"], { stdin });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).map((l) => [l.decision, l.kind ?? l.reason, l.input])).toEqual([
      ["route", "unsuspended", "stdin:1"],
      ["reject", "not-json", "stdin:2"],
      ["reject", "untrusted-source", "stdin:3"],
    ]);
  });

  it("rejects empty input, as the worker would", async () => {
    const r = await runCli(["inspect", "-"], { stdin: "  \n" });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout)).toEqual([
      { decision: "reject", reason: "not-json", message: "empty input", input: "stdin" },
    ]);
  });

  it("applies the ignore list from the environment", async () => {
    const path = file("ignored.json", envelope(logEvent("i-1", "user.lifecycle.deactivate")));
    const r = await runCli(["inspect", path], { env: { OFFBOARD_IGNORE_ACTORS: "admin@example.com" } });
    expect(jsonLines(r.stdout)[0]).toMatchObject({ decision: "ignore", reason: "actor-ignored" });
  });

  it("names a missing file and exits 2", async () => {
    const r = await runCli(["inspect", join(dir, "nope.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file");
    expect(r.stderr).toContain("nope.json");
  });
});
