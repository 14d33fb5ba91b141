import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { type CaseRecord, type Claim, DeliveryLedger, LedgerError, type Receipt } from "@offboard/core";
import { Clock, Duration, Effect, Layer } from "effect";

/**
 * The delivery ledger on DynamoDB: the production ledger of the Lambda worker (and of a self-hosted
 * worker when OFFBOARD_LEDGER_TABLE is set).
 *
 * One table, agreed with the CDK stack: partition key `pk` (S), sort key `sk` (S), TTL attribute
 * `expiresAt` (epoch seconds), on-demand capacity.
 *
 * - Delivery of event E to sink S: `pk = delivery#E`, `sk = sink#S`, with `state` (`leased` | `done`),
 *   `token`, `leaseUntil` (epoch ms), `attempts`, and once done `receipt` (JSON) and `completedAt`.
 *   A claim is one conditional UpdateItem: it succeeds only when no item exists or the existing lease has
 *   expired, so two workers can never both hold (E, S); a crashed attempt's lease simply runs out.
 * - Case of subject user U: `pk = case#U`, `sk = case`, with the CaseRecord as JSON in `record`.
 * - Shared coordination record K (per-channel pacing, burst digests): `pk = shared#K`, `sk = shared`,
 *   with `value`, `version` and `validUntil` (epoch ms); each write is a PutItem conditioned on the
 *   version read (compare-and-set).
 * - Shared list K (a digest window's alerts): `pk = list#K`; `sk = count` holds the positions handed
 *   out (an atomic ADD, so appends never conflict), `sk = item#<position, 8 digits>` each item.
 *
 * Every failure (throttling, network, missing table) is a LedgerError, which the core treats as
 * transient: the record is redelivered later and nothing is delivered without a claim.
 */

export interface DynamoDbLedgerOptions {
  readonly tableName: string;
  /** A ready client; otherwise one is built from `clientConfig` (or the SDK's standard chain and AWS_ENDPOINT_URL). */
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
  /** How long delivery and case items are kept after their last write, in days (default 90). */
  readonly retentionDays?: number;
}

type Item = Record<string, AttributeValue>;

const DAY_MS = 86_400_000;

const errorName = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "name" in cause ? String((cause as { name: unknown }).name) : "Error";

const errorMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown error";

const isConditionFailure = (cause: unknown) => errorName(cause) === "ConditionalCheckFailedException";

const ledgerError = (action: string, tableName: string) => (cause: unknown) =>
  new LedgerError({
    message: `DynamoDB ${action} on table ${tableName} failed: ${errorName(cause)}: ${errorMessage(cause)}`,
    cause,
  });

const deliveryKey = (eventId: string, sink: string): Item => ({
  pk: { S: `delivery#${eventId}` },
  sk: { S: `sink#${sink}` },
});
const caseKey = (subjectId: string): Item => ({ pk: { S: `case#${subjectId}` }, sk: { S: "case" } });
const sharedKey = (key: string): Item => ({ pk: { S: `shared#${key}` }, sk: { S: "shared" } });

const num = (v: AttributeValue | undefined): number | undefined => (v?.N === undefined ? undefined : Number(v.N));

const parseJson = <A>(v: AttributeValue | undefined, what: string): A => {
  if (v?.S === undefined) throw new Error(`ledger item has no ${what}`);
  return JSON.parse(v.S) as A;
};

/** The ledger service over one table. Exposed for tests and for callers that manage their own client. */
export const makeDynamoDbLedger = (
  client: DynamoDBClient,
  tableName: string,
  retentionDays = 90,
): DeliveryLedger["Service"] => {
  const expiresAt = (now: number) => ({ N: String(Math.ceil((now + retentionDays * DAY_MS) / 1000)) });

  const send = <A>(action: string, f: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (cause) => cause }).pipe(
      Effect.mapError((cause) => ({ cause, conditionFailed: isConditionFailure(cause) })),
      Effect.withSpan(`DynamoDbLedger.${action}`),
    );
  const fail = (action: string) => (e: { cause: unknown }) => ledgerError(action, tableName)(e.cause);

  /** What stands in the way of a claim, read consistently; undefined when the item is gone. */
  const current = (eventId: string, sink: string) =>
    send("GetItem", (abortSignal) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: deliveryKey(eventId, sink), ConsistentRead: true }), {
        abortSignal,
      }),
    ).pipe(
      Effect.mapError(fail("GetItem")),
      Effect.flatMap((out) =>
        Effect.try({
          try: (): Claim | undefined => {
            const item = out.Item;
            if (item === undefined) return undefined;
            if (item.state?.S === "done")
              return { _tag: "Completed", receipt: parseJson<Receipt>(item.receipt, "receipt") };
            return { _tag: "Busy", leaseUntil: num(item.leaseUntil) ?? 0 };
          },
          catch: (cause) => ledgerError("GetItem", tableName)(cause),
        }),
      ),
    );

  const tryClaim = (eventId: string, sink: string, leaseMs: number, now: number) => {
    const token = randomUUID();
    const leaseUntil = now + leaseMs;
    return send("UpdateItem", (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: deliveryKey(eventId, sink),
          UpdateExpression:
            "SET #state = :leased, #token = :token, leaseUntil = :until, expiresAt = :exp, updatedAt = :now ADD attempts :one",
          ConditionExpression: "attribute_not_exists(pk) OR (#state = :leased AND leaseUntil <= :now)",
          ExpressionAttributeNames: { "#state": "state", "#token": "token" },
          ExpressionAttributeValues: {
            ":leased": { S: "leased" },
            ":token": { S: token },
            ":until": { N: String(leaseUntil) },
            ":exp": expiresAt(now),
            ":now": { N: String(now) },
            ":one": { N: "1" },
          },
        }),
        { abortSignal },
      ),
    ).pipe(
      Effect.as({ _tag: "Claimed", token, leaseUntil } as Claim | undefined),
      Effect.catch((e) => (e.conditionFailed ? current(eventId, sink) : Effect.fail(fail("UpdateItem")(e)))),
    );
  };

  const claim = Effect.fn("DynamoDbLedger.claim")(function* (eventId: string, sink: string, leaseMs: number) {
    // The item can vanish between the failed condition and the read (released, or expired by TTL): try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = yield* Clock.currentTimeMillis;
      const result = yield* tryClaim(eventId, sink, leaseMs, now);
      if (result !== undefined) return result;
    }
    return yield* new LedgerError({ message: `claim on ${eventId}/${sink} kept racing with other writers` });
  });

  const complete = Effect.fn("DynamoDbLedger.complete")(function* (
    eventId: string,
    sink: string,
    _token: string,
    receipt: Receipt,
  ) {
    const now = yield* Clock.currentTimeMillis;
    // Recorded even when our lease has lapsed: the delivery happened, and forgetting it could repeat it.
    // The first receipt wins when two attempts both delivered.
    yield* send("UpdateItem", (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: deliveryKey(eventId, sink),
          UpdateExpression:
            "SET #state = :done, receipt = :receipt, completedAt = :now, expiresAt = :exp, updatedAt = :now REMOVE #token, leaseUntil",
          ConditionExpression: "attribute_not_exists(#state) OR #state <> :done",
          ExpressionAttributeNames: { "#state": "state", "#token": "token" },
          ExpressionAttributeValues: {
            ":done": { S: "done" },
            ":receipt": { S: JSON.stringify(receipt) },
            ":now": { N: String(now) },
            ":exp": expiresAt(now),
          },
        }),
        { abortSignal },
      ),
    ).pipe(Effect.catch((e) => (e.conditionFailed ? Effect.void : Effect.fail(fail("UpdateItem")(e)))));
  });

  const release = Effect.fn("DynamoDbLedger.release")(function* (eventId: string, sink: string, token: string) {
    yield* send("DeleteItem", (abortSignal) =>
      client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: deliveryKey(eventId, sink),
          ConditionExpression: "#state = :leased AND #token = :token",
          ExpressionAttributeNames: { "#state": "state", "#token": "token" },
          ExpressionAttributeValues: { ":leased": { S: "leased" }, ":token": { S: token } },
        }),
        { abortSignal },
      ),
    ).pipe(Effect.catch((e) => (e.conditionFailed ? Effect.void : Effect.fail(fail("DeleteItem")(e)))));
  });

  const getCase = Effect.fn("DynamoDbLedger.getCase")(function* (subjectId: string) {
    const out = yield* send("GetItem", (abortSignal) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: caseKey(subjectId), ConsistentRead: true }), {
        abortSignal,
      }),
    ).pipe(Effect.mapError(fail("GetItem")));
    if (out.Item === undefined) return undefined;
    const item = out.Item;
    return yield* Effect.try({
      try: () => parseJson<CaseRecord>(item.record, "case record"),
      catch: (cause) => ledgerError("GetItem", tableName)(cause),
    });
  });

  const putCase = Effect.fn("DynamoDbLedger.putCase")(function* (record: CaseRecord) {
    const now = yield* Clock.currentTimeMillis;
    yield* send("PutItem", (abortSignal) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...caseKey(record.subjectId),
            record: { S: JSON.stringify(record) },
            lastPublished: { N: String(record.lastPublished) },
            updatedAt: { N: String(now) },
            expiresAt: expiresAt(now),
          },
          // Never back in time: a case holding a later event wins over a slower writer's older one.
          ConditionExpression: "attribute_not_exists(pk) OR lastPublished <= :lp",
          ExpressionAttributeValues: { ":lp": { N: String(record.lastPublished) } },
        }),
        { abortSignal },
      ),
    ).pipe(Effect.catch((e) => (e.conditionFailed ? Effect.void : Effect.fail(fail("PutItem")(e)))));
  });

  const getShared = Effect.fn("DynamoDbLedger.getShared")(function* (key: string) {
    const now = yield* Clock.currentTimeMillis;
    const out = yield* send("GetItem", (abortSignal) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: sharedKey(key), ConsistentRead: true }), {
        abortSignal,
      }),
    ).pipe(Effect.mapError(fail("GetItem")));
    const item = out.Item;
    if (item?.value?.S === undefined || (num(item.validUntil) ?? 0) <= now) return undefined;
    return { value: item.value.S, version: num(item.version) ?? 0 };
  });

  const putShared = Effect.fn("DynamoDbLedger.putShared")(function* (
    key: string,
    value: string,
    expected: number | undefined,
    ttlMs: number,
  ) {
    const now = yield* Clock.currentTimeMillis;
    return yield* send("PutItem", (abortSignal) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...sharedKey(key),
            value: { S: value },
            version: { N: String((expected ?? 0) + 1) },
            validUntil: { N: String(now + ttlMs) },
            updatedAt: { N: String(now) },
            // Kept a day past its validity: DynamoDB's TTL deletion is lazy, validUntil is what counts.
            expiresAt: { N: String(Math.ceil((now + ttlMs + DAY_MS) / 1000)) },
          },
          ConditionExpression:
            expected === undefined
              ? "attribute_not_exists(pk) OR validUntil <= :now"
              : "#v = :expected AND validUntil > :now",
          ...(expected !== undefined && { ExpressionAttributeNames: { "#v": "version" } }),
          ExpressionAttributeValues: {
            ":now": { N: String(now) },
            ...(expected !== undefined && { ":expected": { N: String(expected) } }),
          },
        }),
        { abortSignal },
      ),
    ).pipe(
      Effect.as(true),
      Effect.catch((e) => (e.conditionFailed ? Effect.succeed(false) : Effect.fail(fail("PutItem")(e)))),
    );
  });

  const appendShared = Effect.fn("DynamoDbLedger.appendShared")(function* (key: string, item: string, ttlMs: number) {
    const now = yield* Clock.currentTimeMillis;
    const expires = { N: String(Math.ceil((now + ttlMs + DAY_MS) / 1000)) };
    const out = yield* send("UpdateItem", (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: `list#${key}` }, sk: { S: "count" } },
          UpdateExpression: "ADD #n :one SET expiresAt = :exp",
          ExpressionAttributeNames: { "#n": "size" },
          ExpressionAttributeValues: { ":one": { N: "1" }, ":exp": expires },
          ReturnValues: "UPDATED_NEW",
        }),
        { abortSignal },
      ),
    ).pipe(Effect.mapError(fail("UpdateItem")));
    const position = (num(out.Attributes?.size) ?? 1) - 1;
    yield* send("PutItem", (abortSignal) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: { S: `list#${key}` },
            sk: { S: `item#${String(position).padStart(8, "0")}` },
            item: { S: item },
            expiresAt: expires,
          },
        }),
        { abortSignal },
      ),
    ).pipe(Effect.mapError(fail("PutItem")));
    return position;
  });

  const listShared = Effect.fn("DynamoDbLedger.listShared")(function* (key: string) {
    let size = 0;
    const items: Array<{ position: number; item: string }> = [];
    let start: Item | undefined;
    do {
      const exclusiveStart = start;
      const page = yield* send("Query", (abortSignal) =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": { S: `list#${key}` } },
            ConsistentRead: true,
            ...(exclusiveStart !== undefined && { ExclusiveStartKey: exclusiveStart }),
          }),
          { abortSignal },
        ),
      ).pipe(Effect.mapError(fail("Query")));
      for (const it of page.Items ?? []) {
        const sk = it.sk?.S ?? "";
        if (sk === "count") size = num(it.size) ?? 0;
        else if (sk.startsWith("item#") && it.item?.S !== undefined) {
          items.push({ position: Number(sk.slice(5)), item: it.item.S });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    items.sort((a, b) => a.position - b.position);
    return { size, items };
  });

  return DeliveryLedger.of({
    claim,
    complete,
    release,
    getCase,
    putCase,
    getShared,
    putShared,
    appendShared,
    listShared,
  });
};

export const DynamoDbLedger = {
  /** The DeliveryLedger on a DynamoDB table. The client is built once, when the layer is built. */
  layer: (options: DynamoDbLedgerOptions): Layer.Layer<DeliveryLedger> =>
    Layer.effect(
      DeliveryLedger,
      Effect.map(
        // A client this layer built is closed with it (the worker rebuilds its services after a secret refresh).
        options.client !== undefined
          ? Effect.succeed(options.client)
          : Effect.acquireRelease(
              Effect.sync(() => new DynamoDBClient(options.clientConfig ?? {})),
              (client) => Effect.sync(() => client.destroy()),
            ),
        (client) => makeDynamoDbLedger(client, options.tableName, options.retentionDays),
      ),
    ),
};

/**
 * Creates the ledger table with the schema the CDK stack uses (pk/sk strings, on-demand, TTL on
 * `expiresAt`), for self-hosted workers (`offboard ledger create-table`). Idempotent: an existing
 * table is left as it is (its TTL is switched on if it was off). Resolves whether it created the table.
 * Without a client, one is built from the SDK's standard chain (AWS_REGION, AWS_ENDPOINT_URL, credentials).
 */
export const createLedgerTable = (client: DynamoDBClient | undefined, tableName: string) => {
  const ddb = client ?? new DynamoDBClient({});
  return Effect.gen(function* () {
    const call = <A>(action: string, f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: ledgerError(action, tableName) });
    const created = yield* call("CreateTable", () =>
      ddb.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: "S" },
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          BillingMode: "PAY_PER_REQUEST",
        }),
      ),
    ).pipe(
      Effect.as(true),
      Effect.catchTag("LedgerError", (e) =>
        errorName(e.cause) === "ResourceInUseException" ? Effect.succeed(false) : Effect.fail(e),
      ),
    );
    // Wait until the table is ACTIVE (moto: immediately; AWS: seconds).
    for (let i = 0; i < 60; i++) {
      const d = yield* call("DescribeTable", () => ddb.send(new DescribeTableCommand({ TableName: tableName })));
      if (d.Table?.TableStatus === "ACTIVE") break;
      yield* Effect.sleep(Duration.seconds(1));
    }
    const ttl = yield* call("DescribeTimeToLive", () =>
      ddb.send(new DescribeTimeToLiveCommand({ TableName: tableName })),
    );
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== "ENABLED" && status !== "ENABLING") {
      yield* call("UpdateTimeToLive", () =>
        ddb.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
          }),
        ),
      );
    }
    return { created };
  }).pipe(
    Effect.ensuring(Effect.sync(() => (client === undefined ? ddb.destroy() : undefined))),
    Effect.withSpan("DynamoDbLedger.createTable"),
  );
};
