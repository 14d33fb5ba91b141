/**
 * A layoff-sized burst: 300 deactivations by one admin within two minutes, through EventBridge → SQS →
 * two `offboard worker` processes, against a loopback Slack that enforces about one chat.postMessage
 * per second per channel (429 with Retry-After beyond, bursts of two). The Slack sink posts the first
 * alerts of the window one by one, paced in the ledger, and gathers the rest in one digest message per
 * window with the complete list as a CSV in its thread; Jira opens one ticket per user.
 */
import { type FakeSlack, type Moto, startFakeSlack, useMoto } from "@offboard/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Aws,
  awsClients,
  countBy,
  createStack,
  type OktaEvent,
  oktaEvent,
  putEvents,
  queueDepth,
  runCli,
  SLACK_TOKEN,
  spawnWorker,
  startFakeJira,
  subjectIdOf as subjectOf,
  waitUntil,
  workerEnv,
} from "./support.ts";

const USERS = 300;
const ROUNDS = 12;
const ROUND_MS = 10_000;

const fixture = useMoto();
let moto: Moto;
let aws: Aws;

beforeAll(() => {
  moto = fixture.moto;
  aws = awsClients(fixture);
});

/** Whether Slack names the login: in a message (text or blocks) or in an attached file. */
const namedIn = (slack: FakeSlack) => {
  const haystack = () =>
    [...slack.messages.map((m) => `${m.text}\n${m.blocks}`), ...slack.files.map((f) => f.content)].join("\n");
  return (logins: ReadonlyArray<string>) => {
    const all = haystack();
    return logins.filter((l) => all.includes(l));
  };
};

describe("a layoff-sized burst", () => {
  it(`drains ${USERS} deactivations within three minutes, every user named in Slack in at most 30 write calls`, async () => {
    const stack = await createStack(moto, aws, "burst", { visibilitySeconds: 30, maxReceiveCount: 10 });
    const slack = await startFakeSlack({ postIntervalMs: 1_000, postBurst: 2, token: SLACK_TOKEN });
    const jira = await startFakeJira();
    const env = {
      ...workerEnv(moto, stack, slack, jira),
      OFFBOARD_SINK_TIMEOUT_SECONDS: "10",
      OFFBOARD_LEASE_SECONDS: "30",
      SLACK_DIGEST_THRESHOLD: "10",
      SLACK_POST_INTERVAL_MS: "1100",
    };
    expect((await runCli(["ledger", "create-table"], env)).code).toBe(0);
    const workers = [
      await spawnWorker(stack, env, ["--pollers", "3"]),
      await spawnWorker(stack, env, ["--pollers", "3"]),
    ];

    // 300 deactivations by one admin over two minutes, published as they are put (as Okta streams them).
    const events: Array<OktaEvent> = [];
    const started = Date.now();
    const named = namedIn(slack);
    const progress = setInterval(() => {
      const logins = events.map((e) => `${subjectOf(e)}@example.com`);
      process.stderr.write(
        `burst +${((Date.now() - started) / 1000).toFixed(0)} s: put ${events.length}, named ${named(logins).length}, Slack writes ${slack.writes.length}, 429 ${slack.rateLimited.length}, Jira issues ${jira.issues.length}\n`,
      );
    }, 15_000);
    for (let round = 0; round < ROUNDS; round++) {
      const due = started + round * ROUND_MS;
      if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      const batch = Array.from({ length: USERS / ROUNDS }, () => ({
        ...oktaEvent(),
        published: new Date().toISOString(),
      }));
      events.push(...batch);
      await putEvents(aws, stack, batch);
    }
    const logins = events.map((e) => `${subjectOf(e)}@example.com`);

    let drainedAfterMs = Number.NaN;
    try {
      await waitUntil(
        async () => {
          if (named(logins).length < logins.length) return false;
          if (jira.issues.length < USERS) return false;
          return (await queueDepth(aws, stack.queueUrl)) === 0;
        },
        {
          what: "every user to be named in Slack and the queue to drain",
          // A liveness bound, generous so that the figures are complete. The drain time itself (the issue
          // asks for under 3 minutes; 146-176 s in the runs so far) is printed below, not asserted: this
          // project measures time, it does not assert it, so a noisy machine cannot fail the suite.
          timeoutMs: 480_000 - (Date.now() - started),
          everyMs: 500,
        },
      );
      drainedAfterMs = Date.now() - started;
    } finally {
      clearInterval(progress);
      const stops = await Promise.all(workers.map((w) => w.stop()));
      await slack.close();
      await jira.close();
      const byMethod = countBy(slack.writes, (c) => c.method);
      console.log(
        [
          `burst: ${USERS} deactivations put over ${(ROUNDS * ROUND_MS) / 1000} s`,
          `  drained after ${Number.isNaN(drainedAfterMs) ? "(not drained)" : `${(drainedAfterMs / 1000).toFixed(1)} s`} from the first put`,
          `  users named in Slack: ${named(logins).length} of ${USERS}`,
          `  Slack write calls: ${slack.writes.length} (${[...byMethod].map(([m, n]) => `${m} ${n}`).join(", ")}), answered 429: ${slack.rateLimited.length}`,
          `  Slack messages: ${slack.messages.length} (${slack.messages.filter((m) => m.metadata?.event_type === "offboard_digest").length} digests), files: ${slack.files.length}`,
          `  Jira issues: ${jira.issues.length}`,
          ...stops.map((s) => `  ${s.stderr.split("\n").find((l) => l.includes("stopped after")) ?? "(no summary)"}`),
        ].join("\n"),
      );
      expect(stops.map((s) => s.code)).toEqual([0, 0]);
    }

    expect(named(logins)).toHaveLength(USERS);
    expect(Number.isNaN(drainedAfterMs)).toBe(false);
    expect(slack.writes.length).toBeLessThanOrEqual(30);
    expect(slack.rateLimited.length).toBeLessThanOrEqual(10);
    const issuesPerUser = countBy(jira.issues, (i) => i.labels.find((l) => l.startsWith("okta-user-")) ?? "none");
    expect(issuesPerUser.size).toBe(USERS);
    expect([...issuesPerUser.values()].every((n) => n === 1)).toBe(true);
    // Each attached list names each of its users once.
    for (const f of slack.files) {
      const ids = f.content
        .split("\r\n")
        .slice(1)
        .map((r) => r.split(",")[0]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  }, 600_000);
});
