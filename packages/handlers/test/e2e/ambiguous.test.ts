/**
 * Ambiguous failures: 5% of vendor writes act and then answer 500 (the message, issue or comment exists;
 * offboard is told it failed), on top of 30% clean faults (429 with Retry-After, 503, before the vendor
 * acts). Two workers, 240 routed events with follow-ups. At the end nothing may be posted, ticketed or
 * commented twice, and every event is delivered.
 */
import { type FakeSlack, type Moto, type SlackFault, startFakeSlack, useMoto } from "@offboard/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Aws,
  awsClients,
  countBy,
  createStack,
  type FailurePlan,
  type Kind,
  type OktaEvent,
  oktaEvent,
  putEvents,
  queueDepth,
  runCli,
  SLACK_TOKEN,
  spawnWorker,
  startFakeJira,
  TYPES,
  oktaUserId as userId,
  waitUntil,
  workerEnv,
} from "./support.ts";

const ROUTED_EVENTS = 240;
const CLEAN_RATE = 0.3;
const ACTED_RATE = 0.05;
const SEED = Number(process.env.OFFBOARD_CHAOS_SEED ?? 20261130);

const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const fixture = useMoto();
let moto: Moto;
let aws: Aws;

beforeAll(() => {
  moto = fixture.moto;
  aws = awsClients(fixture);
});

const SLACK_WRITES = new Set(["chat.postMessage", "chat.update"]);

/** Every Okta event id a Slack message names: its metadata, or (for a digest) the CSVs of its thread. */
const eventsInSlack = (slack: FakeSlack): Map<string, number> => {
  const ids = slack.messages
    .map((m) => m.metadata?.event_payload.okta_event_id)
    .filter((id): id is string => typeof id === "string");
  return countBy(ids, (id) => id);
};

describe("ambiguous failures", () => {
  it(`post, ticket and comment ${ROUTED_EVENTS} events exactly once when 5% of writes act and then answer 500`, async () => {
    const random = prng(SEED);
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)] as A;
    const kinds: ReadonlyArray<Kind> = ["deactivated", "suspended", "deleted", "deactivated", "suspended"];
    const routed: Array<OktaEvent> = [];
    // Published a few seconds apart: alerts spread over the digest windows, some windows bursting.
    let at = 0;
    while (routed.length < ROUTED_EVENTS) {
      const kind = pick(kinds);
      const user = userId();
      at += 5;
      routed.push(oktaEvent({ eventType: TYPES[kind], subject: { id: user }, at }));
      if (random() < 0.15 && routed.length < ROUTED_EVENTS) {
        at += 5;
        routed.push(
          oktaEvent({
            eventType: kind === "suspended" ? TYPES.unsuspended : TYPES.reactivated,
            subject: { id: user },
            at,
          }),
        );
      }
    }

    const stack = await createStack(moto, aws, "ambiguous", { visibilitySeconds: 2, maxReceiveCount: 20 });
    const slack = await startFakeSlack({ token: SLACK_TOKEN });
    const jira = await startFakeJira();
    const injected = { clean: 0 };
    slack.fail((call): SlackFault => {
      const r = random();
      if (SLACK_WRITES.has(call.method) && r < ACTED_RATE) return { acted: { status: 500, body: "internal error" } };
      if (r < ACTED_RATE + CLEAN_RATE) {
        return random() < 0.5
          ? { clean: { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } } }
          : { clean: { status: 503, body: "unavailable" } };
      }
      return undefined;
    });
    const jiraPlan: FailurePlan = ({ req }) => {
      const r = random();
      const write = req.method === "POST" && (req.path === "/rest/api/3/issue" || req.path.endsWith("/comment"));
      if (write && r < ACTED_RATE) return { acted: { status: 500, body: "internal error" } };
      if (r < ACTED_RATE + CLEAN_RATE) {
        injected.clean += 1;
        return random() < 0.5
          ? { status: 429, headers: { "retry-after": "1" }, body: { errorMessages: ["Rate limit exceeded."] } }
          : { status: 503, body: "unavailable" };
      }
      return undefined;
    };
    jira.fail(jiraPlan);
    const env = { ...workerEnv(moto, stack, slack, jira), SLACK_DIGEST_THRESHOLD: "10" };
    expect((await runCli(["ledger", "create-table"], env)).code).toBe(0);
    await putEvents(aws, stack, routed);
    const workers = [
      await spawnWorker(stack, env, ["--pollers", "3"]),
      await spawnWorker(stack, env, ["--pollers", "3"]),
    ];

    const digestIds = () => new Set(slack.files.flatMap((f) => f.content.split("\r\n").map((r) => r.split(",")[0])));
    const delivered = () => {
      const single = eventsInSlack(slack);
      const inDigest = digestIds();
      return routed.filter((e) => single.has(e.uuid) || inDigest.has(e.uuid)).length;
    };
    try {
      await waitUntil(async () => delivered() === routed.length && (await queueDepth(aws, stack.queueUrl)) === 0, {
        what: "every event to be delivered and the queue to drain",
        timeoutMs: 540_000,
        everyMs: 1_000,
      });
    } finally {
      const stops = await Promise.all(workers.map((w) => w.stop()));
      await slack.close();
      await jira.close();
      const twice = [...eventsInSlack(slack)].filter(([, n]) => n > 1);
      const ticketsTwice = [...countBy(jira.issues, (i) => i.eventId ?? "none")].filter(([, n]) => n > 1);
      const commentsTwice = [...countBy(jira.comments, (c) => `${c.key} ${c.eventId}`)].filter(([, n]) => n > 1);
      console.log(
        [
          `ambiguous chaos (seed ${SEED}): ${routed.length} routed events`,
          `  Slack: ${slack.writes.length} writes, faults ${slack.faults.acted} acted-then-500 and ${slack.faults.clean} clean; ${slack.messages.length} messages, ${slack.files.length} files; delivered ${delivered()} of ${routed.length}; posted twice: ${twice.length}`,
          `  Jira: ${jira.issues.length} issues, ${jira.comments.length} comments, faults ${jira.acted.count} acted-then-500 and ${injected.clean} clean; issues twice: ${ticketsTwice.length}, comments twice: ${commentsTwice.length}`,
          ...stops.map((s) => `  ${s.stderr.split("\n").find((l) => l.includes("stopped after")) ?? "(no summary)"}`),
        ].join("\n"),
      );
      expect(stops.map((s) => s.code)).toEqual([0, 0]);
    }

    expect(slack.faults.acted + jira.acted.count).toBeGreaterThan(0);
    // No event posted twice: no alert message twice, no digest twice.
    expect([...eventsInSlack(slack)].filter(([, n]) => n > 1)).toEqual([]);
    const digests = slack.messages.filter((m) => m.metadata?.event_type === "offboard_digest");
    expect([...countBy(digests, (m) => String(m.metadata?.event_payload.digest))].filter(([, n]) => n > 1)).toEqual([]);
    // No Jira issue twice, no comment twice.
    expect([...countBy(jira.issues, (i) => i.eventId ?? "none")].filter(([, n]) => n > 1)).toEqual([]);
    expect([...countBy(jira.comments, (c) => `${c.key} ${c.eventId}`)].filter(([, n]) => n > 1)).toEqual([]);
  }, 660_000);
});
