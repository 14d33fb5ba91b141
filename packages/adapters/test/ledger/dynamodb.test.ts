import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CaseRecord, Receipt } from "@offboard/core";
import { DeliveryLedger, HrisDirectory, PipelineConfig, processRecord, sinksLayer } from "@offboard/core";
import { memorySink } from "@offboard/core/testing";
import { describeLedgerContract, startLoopback, useMoto } from "@offboard/testkit";
import { Effect, Layer } from "effect";
import { beforeAll, describe, expect, it } from "vitest";
import { createLedgerTable, DynamoDbLedger, makeDynamoDbLedger } from "../../src/ledger/dynamodb.ts";

const fixture = useMoto();
let client: DynamoDBClient;
let tableCounter = 0;

beforeAll(() => {
  client = fixture.client((config) => new DynamoDBClient({ ...config, maxAttempts: 1 }));
});

const freshTable = async (): Promise<string> => {
  tableCounter += 1;
  const name = `offboard-ledger-test-${tableCounter}`;
  await Effect.runPromise(createLedgerTable(client, name));
  return name;
};

const withLedger = async <A>(f: (ledger: DeliveryLedger["Service"]) => Effect.Effect<A, unknown>): Promise<A> => {
  const table = await freshTable();
  return Effect.runPromise(f(makeDynamoDbLedger(client, table)));
};

const receipt = (ref: string): Receipt => ({ sink: "slack", ref, detail: { channel: "C123" } });

const caseRecord = (overrides: Partial<CaseRecord> = {}): CaseRecord => ({
  subjectId: "00u1",
  openedBy: "ev-1",
  openedKind: "deactivated",
  lastPublished: 1_700_000_000_000,
  lastKind: "deactivated",
  receipts: { slack: receipt("1700000000.000100") },
  ...overrides,
});

let contractTable: string | undefined;
describeLedgerContract("DynamoDbLedger", async () => {
  contractTable ??= await freshTable();
  return DynamoDbLedger.layer({ tableName: contractTable, client });
});

describe("createLedgerTable", () => {
  it("creates the table with the agreed schema and TTL on expiresAt", async () => {
    const name = await freshTable();
    const table = await client.send(new DescribeTableCommand({ TableName: name }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));

    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(table.Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: "expiresAt", TimeToLiveStatus: "ENABLED" });
  });

  it("leaves an existing table alone and says it did not create it", async () => {
    const name = await freshTable();
    const again = await Effect.runPromise(createLedgerTable(client, name));
    expect(again.created).toBe(false);
  });
});

describe("DynamoDbLedger", () => {
  it("grants the first claim and answers Busy to a second claim while the lease runs", async () => {
    const [first, second] = await withLedger((l) =>
      Effect.all([l.claim("ev-1", "slack", 60_000), l.claim("ev-1", "slack", 60_000)]),
    );
    expect(first?._tag).toBe("Claimed");
    expect(second?._tag).toBe("Busy");
  });

  it("answers Completed with the sink's receipt once a delivery is complete", async () => {
    const claim = await withLedger((l) =>
      Effect.gen(function* () {
        const c = yield* l.claim("ev-1", "jira", 60_000);
        if (c._tag !== "Claimed") throw new Error("expected a claim");
        yield* l.complete("ev-1", "jira", c.token, receipt("IT-7"));
        return yield* l.claim("ev-1", "jira", 60_000);
      }),
    );
    expect(claim).toEqual({ _tag: "Completed", receipt: receipt("IT-7") });
  });

  it("lets another attempt claim once the lease has expired (a crashed attempt is retried)", async () => {
    const claim = await withLedger((l) =>
      Effect.gen(function* () {
        yield* l.claim("ev-1", "slack", 1);
        yield* Effect.sleep("20 millis");
        return yield* l.claim("ev-1", "slack", 60_000);
      }),
    );
    expect(claim._tag).toBe("Claimed");
  });

  it("frees the claim at once when the holder releases it", async () => {
    const claim = await withLedger((l) =>
      Effect.gen(function* () {
        const c = yield* l.claim("ev-1", "slack", 60_000);
        if (c._tag !== "Claimed") throw new Error("expected a claim");
        yield* l.release("ev-1", "slack", c.token);
        return yield* l.claim("ev-1", "slack", 60_000);
      }),
    );
    expect(claim._tag).toBe("Claimed");
  });

  it("ignores a release by an attempt whose lease was taken over", async () => {
    const claim = await withLedger((l) =>
      Effect.gen(function* () {
        const stale = yield* l.claim("ev-1", "slack", 1);
        yield* Effect.sleep("20 millis");
        yield* l.claim("ev-1", "slack", 60_000);
        if (stale._tag !== "Claimed") throw new Error("expected a claim");
        yield* l.release("ev-1", "slack", stale.token);
        return yield* l.claim("ev-1", "slack", 60_000);
      }),
    );
    expect(claim._tag).toBe("Busy");
  });

  it("grants exactly one of many concurrent claims", async () => {
    const claims = await withLedger((l) =>
      Effect.all(
        Array.from({ length: 8 }, () => l.claim("ev-race", "slack", 60_000)),
        { concurrency: "unbounded" },
      ),
    );
    expect(claims.filter((c) => c._tag === "Claimed")).toHaveLength(1);
  });

  it("keeps one case record per subject user and returns it as written", async () => {
    const record = caseRecord();
    const [missing, found] = await withLedger((l) =>
      Effect.gen(function* () {
        const before = yield* l.getCase("00u1");
        yield* l.putCase(record);
        return [before, yield* l.getCase("00u1")] as const;
      }),
    );
    expect(missing).toBeUndefined();
    expect(found).toEqual(record);
  });

  it("reports a missing table as a LedgerError naming the table", async () => {
    const ledger = makeDynamoDbLedger(client, "no-such-table");
    const error = await Effect.runPromise(Effect.flip(ledger.claim("ev-1", "slack", 1000)));
    expect(error._tag).toBe("LedgerError");
    expect(error.message).toContain("no-such-table");
  });

  it("builds as a layer from a client configuration", async () => {
    const table = await freshTable();
    const layer = DynamoDbLedger.layer({ tableName: table, clientConfig: fixture.moto.clientConfig });
    const claim = await Effect.runPromise(
      Effect.gen(function* () {
        const l = yield* DeliveryLedger;
        return yield* l.claim("ev-1", "slack", 1000);
      }).pipe(Effect.provide(layer)),
    );
    expect(claim._tag).toBe("Claimed");
  });
});

describe("DynamoDbLedger when DynamoDB throttles", () => {
  /** A DynamoDB endpoint that answers every call with ProvisionedThroughputExceededException. */
  const throttlingClient = async () => {
    const server = await startLoopback(() => ({
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({
        __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        message: "The level of configured provisioned throughput for the table was exceeded.",
      }),
    }));
    const throttled = new DynamoDBClient({ ...fixture.moto.clientConfig, endpoint: server.url, maxAttempts: 1 });
    return { server, throttled };
  };

  it("reports throttling as a LedgerError naming the cause", async () => {
    const { server, throttled } = await throttlingClient();
    const ledger = makeDynamoDbLedger(throttled, "offboard-ledger");
    const error = await Effect.runPromise(Effect.flip(ledger.claim("ev-1", "slack", 1000)));
    await server.close();
    expect(error._tag).toBe("LedgerError");
    expect(error.message).toContain("ProvisionedThroughputExceededException");
  });

  it("never delivers without a claim: the record is retried later and the sink is not called", async () => {
    const { server, throttled } = await throttlingClient();
    const slack = memorySink("slack");
    const layer = Layer.mergeAll(
      sinksLayer([slack]),
      Layer.succeed(DeliveryLedger, makeDynamoDbLedger(throttled, "offboard-ledger")),
      HrisDirectory.none,
      PipelineConfig.layer({}),
    );
    const body = JSON.stringify({
      source: "aws.partner/okta.com/acme/offboard",
      "detail-type": "SystemLog",
      detail: {
        uuid: "5e1b7a3c-0001-11ef-9a1b-0242ac120002",
        eventType: "user.lifecycle.suspend",
        published: "2026-11-03T09:00:12.345Z",
        outcome: { result: "SUCCESS" },
        actor: { id: "00uadmin", type: "User", alternateId: "it.admin@example.com" },
        target: [{ id: "00u1", type: "User", alternateId: "jane@example.com" }],
      },
    });
    const outcome = await Effect.runPromise(processRecord({ id: "m-1", body }).pipe(Effect.provide(layer)));
    await server.close();
    expect(outcome.status).toBe("retry-later");
    expect(slack.delivered).toHaveLength(0);
  });
});
