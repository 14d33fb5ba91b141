/**
 * End to end, as AWS would run it: Okta's partner event bus → the rule with core's exact pattern →
 * SQS (redrive to a DLQ) → `offboard worker` (the real CLI process) → loopback Slack and Jira, with the
 * DynamoDB ledger and the Secrets Manager secret, all on moto_server.
 */
import { type Moto, useMoto } from "@offboard/testkit";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Aws,
  attr,
  awsClients,
  countBy,
  createStack,
  type FakeJira,
  type FakeSlack,
  type OktaEvent,
  oktaEvent,
  oktaUserId,
  PARTNER_SOURCE,
  putEvents,
  queueDepth,
  readDlq,
  runCli,
  type Stack,
  sendRaw,
  spawnWorker,
  startFakeJira,
  startFakeSlack,
  subjectIdOf as subjectOf,
  TYPES,
  type WorkerProcess,
  waitUntil,
  workerEnv,
} from "./support.ts";

const fixture = useMoto();
let moto: Moto;
let aws: Aws;
let stackSeq = 0;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  moto = fixture.moto;
  aws = awsClients(fixture);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface World {
  readonly stack: Stack;
  readonly slack: FakeSlack;
  readonly jira: FakeJira;
  readonly env: Record<string, string>;
  readonly worker: (extraArgs?: ReadonlyArray<string>) => Promise<WorkerProcess>;
}

/** A fresh copy of the stack, vendors and ledger table (made with `offboard ledger create-table`). */
const world = async (): Promise<World> => {
  stackSeq += 1;
  const stack = await createStack(moto, aws, `e2e${stackSeq}`);
  const slack = await startFakeSlack();
  const jira = await startFakeJira();
  cleanups.push(slack.close, jira.close);
  const env = workerEnv(moto, stack, slack, jira);
  const created = await runCli(["ledger", "create-table"], env);
  expect(created.stdout).toContain(`created DynamoDB table ${stack.tableName}`);
  return {
    stack,
    slack,
    jira,
    env,
    worker: async (extraArgs = []) => {
      const w = await spawnWorker(stack, env, extraArgs);
      cleanups.push(w.stop);
      return w;
    },
  };
};

/** One event of every handled kind, follow-ups on the same users as the events they follow. */
const everyKind = (): ReadonlyArray<OktaEvent> => {
  const a = oktaUserId();
  const b = oktaUserId();
  return [
    oktaEvent({ eventType: TYPES.deactivated, subject: { id: a } }),
    oktaEvent({ eventType: TYPES.reactivated, subject: { id: a } }),
    oktaEvent({ eventType: TYPES.suspended, subject: { id: b } }),
    oktaEvent({ eventType: TYPES.unsuspended, subject: { id: b } }),
    oktaEvent({ eventType: TYPES.deleted }),
  ];
};

const notHandled = (): ReadonlyArray<OktaEvent> => [
  oktaEvent({ eventType: "user.session.start" }),
  oktaEvent({ eventType: "user.lifecycle.activate" }),
  oktaEvent({ eventType: "group.user_membership.add" }),
  oktaEvent({ eventType: "user.account.update_profile" }),
];

const uuids = (events: ReadonlyArray<OktaEvent>) => events.map((e) => e.uuid).sort();
/**
 * The events that open a Jira ticket: each user's case needs one open ticket when it ends deactivated
 * or deleted (a deletion with no ticket opens one); the users here each have one such event at most,
 * and none of them is reactivated afterwards (user a's reactivation closes, it does not open).
 */
const ticketOpeners = (events: ReadonlyArray<OktaEvent>) =>
  events.filter((e) => e.eventType === TYPES.deactivated || e.eventType === TYPES.deleted);

/** Waits until every event has its Slack message and the queue is empty. */
const settle = async (w: World, events: ReadonlyArray<OktaEvent>, what: string) => {
  const wanted = new Set(events.map((e) => e.uuid));
  await waitUntil(
    async () =>
      [...wanted].every((id) => w.slack.messages.some((m) => m.eventId === id)) &&
      (await queueDepth(aws, w.stack.queueUrl)) === 0,
    { what, timeoutMs: 90_000 },
  );
};

describe("offboard worker on moto, fed by Okta's partner event bus", () => {
  it("delivers each handled event exactly once, and events of other types never reach the queue", async () => {
    const w = await world();
    const handled = everyKind();
    await putEvents(aws, w.stack, [...handled, ...notHandled()]);
    expect(await queueDepth(aws, w.stack.queueUrl)).toBe(handled.length);

    const worker = await w.worker();
    await settle(w, handled, "every handled event to reach Slack");
    const stopped = await worker.stop();

    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain("stopped after");
    expect([...countBy(w.slack.messages, (m) => m.eventId).entries()].sort()).toEqual(
      uuids(handled).map((id) => [id, 1]),
    );
    expect(w.jira.issues.map((i) => i.eventId)).toEqual(uuids(ticketOpeners(handled)));
    expect(await readDlq(aws, w.stack)).toHaveLength(0);
  });

  it("delivers once per event when every event arrives three times and two workers share the queue", async () => {
    const w = await world();
    const events = [
      ...everyKind(),
      oktaEvent({ eventType: TYPES.deactivated }),
      oktaEvent({ eventType: TYPES.suspended }),
    ];
    await putEvents(aws, w.stack, events);
    await putEvents(aws, w.stack, events);
    await putEvents(aws, w.stack, events);
    expect(await queueDepth(aws, w.stack.queueUrl)).toBe(events.length * 3);

    const first = await w.worker();
    const second = await w.worker();
    await settle(w, events, "every copy to be processed by the two workers");
    const stops = await Promise.all([first.stop(), second.stop()]);

    expect(stops.map((s) => s.code)).toEqual([0, 0]);
    expect([...countBy(w.slack.messages, (m) => m.eventId).values()]).toEqual(events.map(() => 1));
    expect(w.slack.messages).toHaveLength(events.length);
    expect(w.jira.issues.map((i) => i.eventId).sort()).toEqual(uuids(ticketOpeners(events)));
    expect(await readDlq(aws, w.stack)).toHaveLength(0);
  });

  it("delivers everything after Slack and Jira fail at first (500, 429 with Retry-After), without repeating sinks that had succeeded", async () => {
    const w = await world();
    const [d1, d2, d3] = [
      oktaEvent({ eventType: TYPES.deactivated }),
      oktaEvent({ eventType: TYPES.deactivated }),
      oktaEvent({ eventType: TYPES.deactivated }),
    ];
    const s = oktaEvent({ eventType: TYPES.suspended });
    const x = oktaEvent({ eventType: TYPES.deleted });
    const events = [d1, d2, d3, s, x] as const;
    const jiraDown = subjectOf(d2);
    // Slack: every event's first post is rate limited; the deletion's first three answers are 500s
    // (the Slack client retries 5xx twice itself, so its first attempt fails as a whole).
    w.slack.fail(({ key, attempt }) => {
      if (key === x.uuid && attempt <= 3) return { status: 500, body: "upstream unavailable" };
      if (attempt === 1)
        return { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } };
      return undefined;
    });
    // Jira: 500s for d2's user until the sink's own retries are spent.
    w.jira.fail(({ key, attempt }) =>
      key === jiraDown && attempt <= 3 ? { status: 503, body: { errorMessages: ["Service Unavailable"] } } : undefined,
    );
    await putEvents(aws, w.stack, events);

    const worker = await w.worker();
    await settle(w, events, "every event to be delivered after redelivery");
    await worker.stop();

    expect(w.slack.messages).toHaveLength(events.length);
    expect(events.every((e) => (w.slack.attempts.get(e.uuid) ?? 0) >= 2)).toBe(true);
    expect(w.jira.issues.map((i) => i.eventId).sort()).toEqual(uuids([d1, d2, d3, x]));
    // d1 and d3 reached Jira on the first attempt (one search, one create); their redeliveries, caused
    // by Slack, skipped Jira because the ledger had its receipt.
    expect(w.jira.callsByUser.get(subjectOf(d1))).toBe(2);
    expect(w.jira.callsByUser.get(subjectOf(d3))).toBe(2);
    expect(await readDlq(aws, w.stack)).toHaveLength(0);
  });

  it("dead-letters poison with its reason and original message id, and delivers everything else", async () => {
    const w = await world();
    const good = [oktaEvent({ eventType: TYPES.deactivated }), oktaEvent({ eventType: TYPES.suspended })];
    const notJsonId = await sendRaw(aws, w.stack, "this is not JSON {");
    const forged = {
      version: "0",
      id: "f0f0f0f0-0000-4000-8000-000000000001",
      "detail-type": "SystemLog",
      source: "aws.partner/evil.example.com/acme",
      time: "2026-11-03T09:00:13Z",
      region: "us-east-1",
      resources: [],
      detail: oktaEvent({ eventType: TYPES.deactivated }),
    };
    const forgedId = await sendRaw(aws, w.stack, JSON.stringify(forged));
    const noUser = oktaEvent({
      eventType: TYPES.deactivated,
      target: [{ id: "0oa1app", type: "AppInstance", alternateId: "Zoom" }],
    });
    await putEvents(aws, w.stack, [good[0] as OktaEvent, noUser, good[1] as OktaEvent]);

    const worker = await w.worker();
    await settle(w, good, "the good events to be delivered");
    await waitUntil(async () => (await queueDepth(aws, w.stack.dlqUrl)) === 3, { what: "three records in the DLQ" });
    await worker.stop();

    const dlq = await readDlq(aws, w.stack);
    const byReason = new Map(dlq.map((m) => [attr(m, "offboard.reason"), m] as const));
    expect([...byReason.keys()].sort()).toEqual(["no-user-target", "not-json", "untrusted-source"]);
    expect(byReason.get("not-json")?.Body).toBe("this is not JSON {");
    expect(attr(byReason.get("not-json") ?? {}, "offboard.originalMessageId")).toBe(notJsonId);
    expect(attr(byReason.get("untrusted-source") ?? {}, "offboard.originalMessageId")).toBe(forgedId);
    expect(JSON.parse(byReason.get("untrusted-source")?.Body ?? "{}")).toEqual(forged);
    expect(attr(byReason.get("untrusted-source") ?? {}, "offboard.detail")).toContain("aws.partner/evil.example.com");
    const noUserBody = JSON.parse(byReason.get("no-user-target")?.Body ?? "{}") as {
      source?: string;
      detail?: OktaEvent;
    };
    expect(noUserBody.source).toBe(PARTNER_SOURCE);
    expect(noUserBody.detail?.uuid).toBe(noUser.uuid);
    expect(dlq.every((m) => m.MessageAttributes?.["offboard.receiveCount"]?.StringValue === "1")).toBe(true);
    expect(w.slack.messages.map((m) => m.eventId).sort()).toEqual(uuids(good));
    expect(w.jira.issues.map((i) => i.eventId)).toEqual([good[0]?.uuid]);
  });
});
