/**
 * The chaos run: hundreds of Okta events through EventBridge → SQS → two `offboard worker` processes,
 * with about 30% of Slack and Jira calls failing (500s and 429s with Retry-After), every fifth event
 * delivered more than once, and poison mixed in. At the end every routed event must have been
 * delivered exactly once per sink and the DLQ must hold exactly the poison.
 */
import { type Moto, useMoto } from "@offboard/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Aws,
  attr,
  awsClients,
  countBy,
  createStack,
  type FailurePlan,
  type Kind,
  type OktaEvent,
  oktaEvent,
  oktaUserId,
  putEvents,
  queueDepth,
  readDlq,
  runCli,
  sendRaw,
  spawnWorker,
  startFakeJira,
  startFakeSlack,
  subjectIdOf as subjectOf,
  TYPES,
  waitUntil,
  workerEnv,
} from "./support.ts";

/**
 * How many routed events: 520 in `npm run test:e2e` (the full run, in CI), a smaller default in `npm test`
 * so the fast tier stays fast while still going through every failure path.
 */
const ROUTED_EVENTS = Number(process.env.OFFBOARD_CHAOS_EVENTS ?? 80);
const FAILURE_RATE = 0.3;
const SEED = Number(process.env.OFFBOARD_CHAOS_SEED ?? 20261103);

/**
 * mulberry32: a small seeded PRNG. OFFBOARD_CHAOS_SEED fixes the event mix and the duplicates; which vendor
 * calls fail also depends on the order the workers make them in, so it varies from run to run.
 */
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

describe("a chaos run", () => {
  it(`delivers ${ROUTED_EVENTS} routed events exactly once per sink through random failures and duplicates, and dead-letters exactly the poison`, async () => {
    const random = prng(SEED);
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)] as A;

    // Events: every kind, some users with a follow-up on the same user later on.
    const kinds: ReadonlyArray<Kind> = ["deactivated", "suspended", "deleted", "deactivated", "suspended"];
    const routed: Array<OktaEvent> = [];
    while (routed.length < ROUTED_EVENTS) {
      const kind = pick(kinds);
      const user = oktaUserId();
      routed.push(oktaEvent({ eventType: TYPES[kind], subject: { id: user } }));
      if (random() < 0.15 && routed.length < ROUTED_EVENTS) {
        routed.push(
          oktaEvent({ eventType: kind === "suspended" ? TYPES.unsuspended : TYPES.reactivated, subject: { id: user } }),
        );
      }
    }
    const ignored = Array.from({ length: 40 }, () =>
      oktaEvent({ eventType: pick(["user.session.start", "user.lifecycle.activate"]) }),
    );
    const duplicates = routed.filter(() => random() < 0.2);

    const stack = await createStack(moto, aws, "chaos", { visibilitySeconds: 2, maxReceiveCount: 12 });
    const slack = await startFakeSlack();
    const jira = await startFakeJira();
    const injected = { slack: 0, jira: 0 };
    const chaos =
      (counter: "slack" | "jira"): FailurePlan =>
      () => {
        if (random() >= FAILURE_RATE) return undefined;
        injected[counter] += 1;
        return random() < 0.5
          ? { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } }
          : { status: 500, body: "internal error" };
      };
    slack.fail(chaos("slack"));
    jira.fail(chaos("jira"));
    const env = workerEnv(moto, stack, slack, jira);
    expect((await runCli(["ledger", "create-table"], env)).code).toBe(0);

    // Poison: not JSON and a forged source straight onto the queue, a deactivation without a User
    // target through EventBridge.
    const poison: Array<string> = [];
    for (let i = 0; i < 4; i++) poison.push(await sendRaw(aws, stack, `garbage #${i} <not json>`));
    for (let i = 0; i < 3; i++) {
      const forged = {
        version: "0",
        id: `forged-${i}`,
        "detail-type": "SystemLog",
        source: "aws.partner/evil.example.com/x",
        detail: oktaEvent({ eventType: TYPES.deactivated }),
      };
      poison.push(await sendRaw(aws, stack, JSON.stringify(forged)));
    }
    const noUser = Array.from({ length: 3 }, () =>
      oktaEvent({ eventType: TYPES.deactivated, target: [{ id: "0oa1app", type: "AppInstance" }] }),
    );

    await putEvents(aws, stack, [...routed, ...ignored, ...noUser]);
    const workers = [
      await spawnWorker(stack, env, ["--pollers", "3"]),
      await spawnWorker(stack, env, ["--pollers", "3"]),
    ];
    // More copies arrive while the workers are busy, as Okta's at-least-once delivery would send them.
    await putEvents(aws, stack, duplicates);
    await putEvents(
      aws,
      stack,
      duplicates.filter(() => random() < 0.5),
    );

    const expectedDlq = poison.length + noUser.length;
    const delivered = new Set<string>();
    await waitUntil(
      async () => {
        for (const m of slack.messages) delivered.add(m.eventId);
        if (!routed.every((e) => delivered.has(e.uuid))) return false;
        return (await queueDepth(aws, stack.queueUrl)) === 0 && (await queueDepth(aws, stack.dlqUrl)) >= expectedDlq;
      },
      { what: "every routed event to be delivered and the queue to drain", timeoutMs: 240_000, everyMs: 500 },
    );
    const stops = await Promise.all(workers.map((w) => w.stop()));
    const dlq = await readDlq(aws, stack);
    await slack.close();
    await jira.close();

    const slackPerEvent = countBy(slack.messages, (m) => m.eventId);
    const deactivations = routed.filter((e) => e.eventType === TYPES.deactivated);
    const issuesPerEvent = countBy(jira.issues, (i) => i.eventId ?? "none");
    const summary = stops.map((s) => s.stderr.split("\n").find((l) => l.includes("stopped after")) ?? "(no summary)");
    console.log(
      [
        `chaos run (seed ${SEED}):`,
        `  events put: ${routed.length} routed + ${ignored.length} of other types + ${noUser.length} without a User target`,
        `  duplicate copies put: ${duplicates.length} + a second copy of some of them`,
        `  poison sent straight to the queue: ${poison.length}`,
        `  injected failures: slack ${injected.slack}, jira ${injected.jira} (of ${slack.server.requests.length} slack and ${jira.server.requests.length} jira calls)`,
        `  delivered: ${slackPerEvent.size} events to Slack (${slack.messages.length} messages), ${jira.issues.length} Jira issues for ${deactivations.length} deactivations and the deletions (one open ticket per user who ends deactivated or deleted)`,
        `  DLQ: ${dlq.length} (${[...countBy(dlq, (m) => attr(m, "offboard.reason") ?? "no reason")].map(([k, v]) => `${k} ${v}`).join(", ")})`,
        ...summary.map((s) => `  ${s.replace("offboard worker: ", "worker ")}`),
      ].join("\n"),
    );

    expect(stops.map((s) => s.code)).toEqual([0, 0]);
    expect(routed.filter((e) => slackPerEvent.get(e.uuid) !== 1)).toEqual([]);
    expect(slack.messages).toHaveLength(routed.length);
    // Never two tickets for one event.
    expect(routed.filter((e) => (issuesPerEvent.get(e.uuid) ?? 0) > 1)).toEqual([]);
    // Each user ends with what its final state asks for (the case state machine), whatever the order
    // the chaos delivered its events in: deactivated or deleted → exactly one ticket; reactivated after
    // a ticket → that ticket was closed (the close comment); suspended or unsuspended → no ticket.
    const subjectOfEvent = new Map(routed.map((e) => [e.uuid, subjectOf(e)] as const));
    const users = new Map<string, Array<OktaEvent>>();
    for (const e of routed) users.set(subjectOf(e), [...(users.get(subjectOf(e)) ?? []), e]);
    const commented = new Set(jira.comments.map((c) => c.key));
    const wrong: Array<string> = [];
    const unclosed: Array<string> = [];
    for (const [user, events] of users) {
      const last = events[events.length - 1]!;
      const tickets = jira.issues.filter((i) => subjectOfEvent.get(i.eventId ?? "") === user);
      if (last.eventType === TYPES.deactivated || last.eventType === TYPES.deleted) {
        if (tickets.length !== 1) wrong.push(`${user} ends ${last.eventType} with ${tickets.length} tickets`);
      } else if (last.eventType === TYPES.reactivated) {
        // Known limit (docs/operations.md): a deactivation and its reactivation handled at the same
        // moment by two invocations can, rarely, leave the ticket open (the case has no compare-and-set
        // write yet). Counted and printed, not asserted.
        for (const t of tickets) if (!commented.has(t.key)) unclosed.push(`${user}: ${t.key}`);
      } else if (tickets.length > 0) {
        wrong.push(`${user} ends ${last.eventType} with ${tickets.length} tickets`);
      }
    }
    expect(wrong).toEqual([]);
    console.log(
      `  reactivated users whose ticket a concurrent race left open: ${unclosed.length} (${unclosed.join(", ")})`,
    );
    expect(dlq).toHaveLength(expectedDlq);
    expect(dlq.filter((m) => attr(m, "offboard.reason") === undefined)).toEqual([]);
    expect(
      dlq
        .map((m) => attr(m, "offboard.originalMessageId"))
        .filter((id) => id !== undefined && poison.includes(id))
        .sort(),
    ).toEqual([...poison].sort());
    expect(countBy(dlq, (m) => attr(m, "offboard.reason") ?? "")).toEqual(
      new Map([
        ["not-json", 4],
        ["untrusted-source", 3],
        ["no-user-target", 3],
      ]),
    );
    expect(injected.slack + injected.jira).toBeGreaterThan(0);
  }, 300_000);
});
