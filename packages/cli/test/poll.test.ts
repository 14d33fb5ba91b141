import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeOkta, fakeLogEvent, startFakeOkta } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

let okta: FakeOkta;
let state: string;

beforeEach(async () => {
  okta = await startFakeOkta();
  state = mkdtempSync(join(tmpdir(), "offboard-poll-"));
});
afterEach(async () => {
  await okta.close();
});

const env = () => ({ OFFBOARD_STATE_DIR: state, OKTA_ORG_URL: okta.url, OKTA_API_TOKEN: okta.token });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const outbox = () =>
  readFileSync(join(state, "outbox.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { eventId: string; kind: string });

/** A day in the log: lifecycle events among noise (sign-ins, a failed deactivation, a log-stream event). */
const seedDay = () => {
  const lifecycle = [
    fakeLogEvent("user.lifecycle.suspend", minutesAgo(50)),
    fakeLogEvent("user.lifecycle.deactivate", minutesAgo(40)),
    fakeLogEvent("user.lifecycle.delete.initiated", minutesAgo(30)),
  ];
  okta.addEvents(
    fakeLogEvent("user.session.start", minutesAgo(55)),
    lifecycle[0]!,
    fakeLogEvent("user.authentication.sso", minutesAgo(45)),
    lifecycle[1]!,
    fakeLogEvent("user.lifecycle.deactivate", minutesAgo(35), { outcome: { result: "FAILURE", reason: "denied" } }),
    lifecycle[2]!,
    fakeLogEvent("system.log_stream.lifecycle.deactivate", minutesAgo(20)),
  );
  return lifecycle;
};

describe("offboard poll --since --until (a bounded backfill)", () => {
  it("delivers each lifecycle event once, filtered server-side, and a second backfill delivers nothing", async () => {
    const lifecycle = seedDay();
    const args = ["poll", "--since", minutesAgo(60), "--until", minutesAgo(0), "--no-preview"];

    const first = await runCli(args, { env: env() });

    expect(first.stderr + first.stdout).not.toContain(okta.token);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("routed 3, ignored 1");
    expect(outbox().map((l) => l.eventId)).toEqual(lifecycle.map((e) => e.uuid));
    const logCall = okta.calls.find((c) => c.path === "/api/v1/logs");
    expect(logCall?.query.get("filter")).toContain('eventType eq "user.lifecycle.deactivate"');
    expect(logCall?.query.get("filter")).not.toContain("user.session.start");

    const second = await runCli(args, { env: env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/outbox\s+0\s+3\s+/);
    expect(outbox()).toHaveLength(3);
  });

  it("counts an event the log stream already delivered (through replay) as a duplicate", async () => {
    const [suspend] = seedDay();
    const file = join(state, "stream.json");
    writeFileSync(file, JSON.stringify(suspend));
    expect((await runCli(["replay", "--no-preview", file], { env: env() })).code).toBe(0);

    const r = await runCli(["poll", "--since", minutesAgo(60), "--until", minutesAgo(0), "--no-preview"], {
      env: env(),
    });

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/outbox\s+2\s+1\s+/);
    expect(outbox()).toHaveLength(3);
  });
});

describe("offboard poll --follow", () => {
  it("keeps a checkpoint and resumes from it, through a 429, with a progress line on stderr", async () => {
    seedDay();
    const first = await runCli(["poll", "--follow", "--max-polls", "1", "--since", minutesAgo(60), "--no-preview"], {
      env: env(),
    });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/poll 1: read 4 events, 3 deliveries/);
    expect(statSync(join(state, "poll-checkpoint.json")).mode & 0o777).toBe(0o600);

    // New events arrive (one with an earlier published time: Okta persists it late), and Okta is busy.
    const late = fakeLogEvent("user.lifecycle.reactivate", minutesAgo(45));
    okta.addEvents(late, fakeLogEvent("user.lifecycle.unsuspend", minutesAgo(1)));
    okta.rateLimitNext(1, 1);
    const second = await runCli(["poll", "--follow", "--max-polls", "1", "--no-preview"], { env: env() });

    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/poll 1: read 2 events, 2 deliveries/);
    expect(second.stdout).toContain("1 rate-limited");
    expect(outbox().map((l) => l.eventId)).toContain(late.uuid);
    // Every request after the first followed Okta's next link: no since/until windows were built.
    const logCalls = okta.calls.filter((c) => c.path === "/api/v1/logs");
    expect(logCalls.filter((c) => !c.query.has("after"))).toHaveLength(1);
  });

  it("asks for --since when there is no checkpoint yet", async () => {
    const r = await runCli(["poll", "--follow", "--max-polls", "1"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--since is required");
  });

  it("refuses to send the token over plain http to a host that is not loopback", async () => {
    const r = await runCli(["poll", "--since", minutesAgo(60)], {
      env: { ...env(), OKTA_ORG_URL: "http://acme.okta.com" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("https");
    expect(r.stderr).not.toContain(okta.token);
  });
});
