import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeliveryLedger,
  HrisDirectory,
  type LifecycleKind,
  PipelineConfig,
  processRecord,
  type RecordOutcome,
  sinksLayer,
} from "@offboard/core";
import { type MemorySink, memorySink } from "@offboard/core/testing";
import {
  envelope,
  LIFECYCLE_TYPES,
  type Loopback,
  type Moto,
  oktaEvent,
  type RecordedRequest,
  type Reply,
  startLoopback,
  startMoto,
} from "@offboard/testkit";
import { Effect, Layer, Logger, ManagedRuntime } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_JIRA_KINDS } from "../../src/jira/settings.ts";
import { makeJiraSink } from "../../src/jira/sink.ts";
import { createLedgerTable, DynamoDbLedger } from "../../src/ledger/dynamodb.ts";
import { SqliteLedger } from "../../src/ledger/sqlite.ts";
import { jiraSettings } from "../slack-jira.factories.ts";

/**
 * The scenarios of issue 10, each event replayed in its own batch (one `processRecord` per event, as
 * `offboard replay` does with one file per event), through the real Jira sink over a loopback Jira
 * and through each durable ledger: SQLite on disk and DynamoDB on moto. What the user ends with must
 * not depend on the arrival order.
 */

interface Ticket {
  key: string;
  status: "open" | "closed";
  comments: number;
}

/**
 * A loopback Jira Cloud: search finds nothing, create opens, comment counts (and lists what was
 * commented, for the sink's look-before-comment), transition "Done" closes.
 */
const fakeJira = () => {
  const tickets: Array<Ticket> = [];
  const bodies = new Map<string, Array<{ id: string; body: unknown }>>();
  const handler = (req: RecordedRequest): Reply => {
    if (req.method === "POST" && req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
    if (req.method === "POST" && req.path === "/rest/api/3/issue") {
      const key = `IT-${tickets.length + 1}`;
      tickets.push({ key, status: "open", comments: 0 });
      return { status: 201, body: { id: String(10_000 + tickets.length), key, self: `x/${key}` } };
    }
    const m = /^\/rest\/api\/3\/issue\/([^/]+)\/(comment|transitions)$/.exec(req.path);
    const ticket = tickets.find((t) => t.key === m?.[1]);
    if (m !== null && ticket !== undefined) {
      if (m[2] === "comment") {
        const made = bodies.get(ticket.key) ?? [];
        bodies.set(ticket.key, made);
        if (req.method === "GET") return { body: { startAt: 0, maxResults: 100, total: made.length, comments: made } };
        ticket.comments += 1;
        const id = `c${ticket.comments}`;
        made.push({ id, body: (req.json as { body?: unknown } | undefined)?.body });
        return { status: 201, body: { id } };
      }
      if (req.method === "GET") return { body: { transitions: [{ id: "41", name: "Done", to: { name: "Done" } }] } };
      ticket.status = "closed";
      return { status: 204 };
    }
    return { status: 404, body: { errorMessages: [`no route ${req.method} ${req.path}`], errors: {} } };
  };
  return { tickets, handler };
};

const TYPE: Record<LifecycleKind, string> = LIFECYCLE_TYPES;
const USER = { id: "00uscenario0000000001", login: "jane.doe@example.com", displayName: "Jane Doe" };
let seq = 0;
const event = (kind: LifecycleKind, published: string) => {
  seq += 1;
  return {
    kind,
    body: JSON.stringify(
      envelope(
        oktaEvent({
          uuid: `9a0b1c2d-${String(seq).padStart(4, "0")}-11ef-8f00-000000000001`,
          eventType: TYPE[kind],
          published,
          target: [{ id: USER.id, type: "User", alternateId: USER.login, displayName: USER.displayName }],
        }),
      ),
    ),
  };
};

type LedgerLayer = () => Promise<Layer.Layer<DeliveryLedger, unknown>>;

let moto: Moto;
let dynamo: DynamoDBClient;
let jiraServer: Loopback;
let jira: ReturnType<typeof fakeJira>;
const dirs: Array<string> = [];
let tables = 0;

beforeAll(async () => {
  moto = await startMoto();
  dynamo = new DynamoDBClient({ ...moto.clientConfig, maxAttempts: 1 });
  jira = fakeJira();
  jiraServer = await startLoopback((req) => jira.handler(req));
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  await moto?.stop();
  await jiraServer?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LEDGERS: ReadonlyArray<[string, LedgerLayer]> = [
  [
    "SQLite",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "offboard-scenario-"));
      dirs.push(dir);
      return SqliteLedger.layer({ path: join(dir, "ledger.sqlite") });
    },
  ],
  [
    "DynamoDB (moto)",
    async () => {
      tables += 1;
      const tableName = `offboard-scenarios-${tables}`;
      await Effect.runPromise(createLedgerTable(dynamo, tableName));
      return DynamoDbLedger.layer({ tableName, client: dynamo });
    },
  ],
];

/** Replays the events in the given order, one per batch, with a fresh ledger, Jira and Slack. */
const replay = async (ledger: LedgerLayer, events: ReadonlyArray<{ kind: LifecycleKind; body: string }>) => {
  jira.tickets.length = 0;
  const slack: MemorySink = memorySink("slack");
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      PipelineConfig.layer({}),
      await ledger(),
      HrisDirectory.none,
      sinksLayer([
        makeJiraSink(jiraSettings(jiraServer.url, { kinds: DEFAULT_JIRA_KINDS, reactivateTransition: "Done" })),
        slack,
      ]),
      Logger.layer([]),
    ),
  );
  const outcomes: Array<RecordOutcome> = [];
  try {
    for (const [i, e] of events.entries()) {
      outcomes.push(await runtime.runPromise(processRecord({ id: `file-${i}`, body: e.body })));
    }
  } finally {
    await runtime.dispose();
  }
  const jiraStatus = (i: number) => outcomes[i]?.events[0]?.sinks.find((s) => s.sink === "jira")?.status;
  return { tickets: [...jira.tickets], slack, outcomes, jiraStatus };
};

const open = (tickets: ReadonlyArray<Ticket>) => tickets.filter((t) => t.status === "open");

describe.each(LEDGERS)("issue 10's scenarios, one event per batch, %s ledger", (_name, ledger) => {
  it("deactivate then delete, the deletion arriving first: one open ticket, as in arrival order", async () => {
    const deactivate = event("deactivated", "2026-11-01T10:00:00.000Z");
    const del = event("deleted", "2026-11-01T11:00:00.000Z");

    const inOrder = await replay(ledger, [deactivate, del]);
    const reversed = await replay(ledger, [del, deactivate]);

    expect(open(inOrder.tickets)).toHaveLength(1);
    expect(inOrder.tickets[0]?.comments).toBe(1);
    expect(open(reversed.tickets)).toHaveLength(1);
    expect([reversed.jiraStatus(0), reversed.jiraStatus(1)]).toEqual(["delivered", "superseded"]);
    expect(reversed.slack.delivered).toHaveLength(2);
  });

  it("delete, deactivate, suspend arriving newest first: one open ticket", async () => {
    const suspend = event("suspended", "2026-11-01T09:00:00.000Z");
    const deactivate = event("deactivated", "2026-11-01T10:00:00.000Z");
    const del = event("deleted", "2026-11-01T11:00:00.000Z");

    const result = await replay(ledger, [del, deactivate, suspend]);

    expect(open(result.tickets)).toHaveLength(1);
    expect(result.tickets).toHaveLength(1);
    expect(result.slack.delivered).toHaveLength(3);
  });

  it("reactivate (12:00), deactivate (11:00), delete (13:00): the user ends deleted with one open ticket", async () => {
    const result = await replay(ledger, [
      event("reactivated", "2026-11-01T12:00:00.000Z"),
      event("deactivated", "2026-11-01T11:00:00.000Z"),
      event("deleted", "2026-11-01T13:00:00.000Z"),
    ]);

    expect(open(result.tickets)).toHaveLength(1);
    expect(result.outcomes.map((o) => o.status)).toEqual(["delivered", "delivered", "delivered"]);
  });

  it("an unsuspend dated 2999 does not silence the real deactivation, and is not counted as delivered to Jira", async () => {
    const result = await replay(ledger, [
      event("unsuspended", "2999-01-01T00:00:00.000Z"),
      event("deactivated", "2026-11-01T10:00:00.000Z"),
    ]);

    expect(open(result.tickets)).toHaveLength(1);
    expect(result.jiraStatus(0)).toBe("superseded");
    expect(result.jiraStatus(1)).toBe("delivered");
    expect(result.outcomes[0]?.events[0]).toMatchObject({ timeliness: "future" });
    expect(result.slack.delivered[0]?.context.step?.timeliness).toBe("future");
  });

  it("a reactivation after the ticket closes it (transition and comment): no open ticket", async () => {
    const result = await replay(ledger, [
      event("deactivated", "2026-11-01T10:00:00.000Z"),
      event("reactivated", "2026-11-01T11:00:00.000Z"),
    ]);

    expect(result.tickets).toEqual([{ key: "IT-1", status: "closed", comments: 1 }]);
  });
});

describe("DynamoDB refuses an oversized key", () => {
  it("as a permanent LedgerError, not as 'ledger unavailable'", async () => {
    tables += 1;
    const tableName = `offboard-scenarios-${tables}`;
    await Effect.runPromise(createLedgerTable(dynamo, tableName));
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          DeliveryLedger.use((l) => l.claim("u".repeat(3_000), "slack", 1_000)),
          DynamoDbLedger.layer({ tableName, client: dynamo }),
        ),
      ),
    );
    expect(error).toMatchObject({ _tag: "LedgerError", permanent: true });
    expect(error.message).toContain("ValidationException");
  });
});
