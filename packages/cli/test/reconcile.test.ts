import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeOkta, fakeLogEvent, startFakeOkta } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, runCli } from "./run-cli.ts";

let okta: FakeOkta;
let state: string;

beforeEach(async () => {
  okta = await startFakeOkta();
  state = mkdtempSync(join(tmpdir(), "offboard-reconcile-"));
});
afterEach(async () => {
  await okta.close();
});

const env = () => ({ OFFBOARD_STATE_DIR: state, OKTA_ORG_URL: okta.url, OKTA_API_TOKEN: okta.token });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const window = () => ["--since", minutesAgo(60), "--until", minutesAgo(0)];

/** Three lifecycle events in Okta's log (and noise); the stream delivered only the first (through replay). */
const seedWithGap = async () => {
  const events = [
    fakeLogEvent("user.lifecycle.suspend", minutesAgo(50), { userId: "00ustreamed", login: "a@example.com" }),
    fakeLogEvent("user.lifecycle.deactivate", minutesAgo(40), { userId: "00umissed01", login: "b@example.com" }),
    fakeLogEvent("user.lifecycle.delete.initiated", minutesAgo(30), { userId: "00umissed02" }),
  ];
  okta.addEvents(fakeLogEvent("user.session.start", minutesAgo(45)), ...events);
  const file = join(state, "stream.json");
  writeFileSync(file, JSON.stringify(events[0]));
  expect((await runCli(["replay", "--no-preview", file], { env: env() })).code).toBe(0);
  return events;
};

describe("offboard reconcile", () => {
  it("prints a line for each event offboard never delivered, a summary, and exits 1", async () => {
    const events = await seedWithGap();

    const r = await runCli(["reconcile", ...window()], { env: env() });

    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    const undelivered = lines.filter((l) => l.finding === "undelivered");
    expect(undelivered.map((l) => l.uuid)).toEqual([events[1]?.uuid, events[2]?.uuid]);
    expect(undelivered[0]).toMatchObject({
      kind: "deactivated",
      subject: { id: "00umissed01", login: "b@example.com" },
    });
    expect(lines.at(-1)).toMatchObject({ summary: { oktaEvents: 3, routed: 3, undelivered: 2, missingReceipts: 0 } });
  });

  it("exits 0 with no gaps, and with --all shows when each sink acted", async () => {
    const [only] = [fakeLogEvent("user.lifecycle.suspend", minutesAgo(50))];
    okta.addEvents(only!);
    const file = join(state, "stream.json");
    writeFileSync(file, JSON.stringify(only));
    await runCli(["replay", "--no-preview", file], { env: env() });

    const r = await runCli(["reconcile", "--all", ...window()], { env: env() });

    expect(r.code).toBe(0);
    const [delivered, summary] = jsonLines(r.stdout);
    expect(delivered).toMatchObject({ finding: "delivered", uuid: only?.uuid, published: only?.published });
    const sinks = (delivered?.sinks ?? {}) as Record<string, { at: string }>;
    expect(sinks.outbox?.at).toMatch(/^\d{4}-/);
    expect(summary).toMatchObject({ summary: { undelivered: 0 } });
  });

  it("delivers the missing events with --deliver, after which nothing is missing", async () => {
    await seedWithGap();

    const fix = await runCli(["reconcile", "--deliver", ...window()], { env: env() });
    expect(fix.code).toBe(0);
    expect(fix.stderr).toMatch(/outbox\s+2\s+0\s+/);

    const again = await runCli(["reconcile", ...window()], { env: env() });
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout)).toHaveLength(1);
  });
});
