import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  BatchGetItemCommand,
  CreateTableCommand,
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
import {
  type CaseRecord,
  type Claim,
  DeliveryLedger,
  LedgerError,
  type Receipt,
  type Settlement,
} from "@offboard/core";
import { Clock, Duration, Effect, Layer } from "effect";

/**
 * The delivery ledger on DynamoDB: the production ledger of the Lambda worker (and of a self-hosted
 * worker when OFFBOARD_LEDGER_TABLE is set).
 *
 * One table, agreed with the CDK stack: partition key `pk` (S), sort key `sk` (S), TTL attribute
 * `expiresAt` (epoch seconds), on-demand capacity.
 *
 * - Deliveries of event E: one item, `pk = event#E`, `sk = sinks`, with one map attribute per sink
 *   (`sink:slack`, `sink:jira`, ...) holding `state` (`leased` | `done`), `token`, `leaseUntil` (epoch
 *   ms) and once done `receipt` (JSON) and `completedAt`. Claiming all of an event's sinks is one
 *   conditional UpdateItem that succeeds only when each slot is missing or its lease has expired, so two
 *   workers can never both hold (E, S); when the condition fails, DynamoDB hands the item back
 *   (ReturnValuesOnConditionCheckFailure) and the free slots are claimed in a second write. Recording
 *   the results (receipts, released leases) is one more UpdateItem. A crashed attempt's lease simply
 *   runs out.
 * - Case of subject user U: `pk = case#U`, `sk = case`, with the CaseRecord as JSON in `record`; the
 *   cases of a batch are read with one BatchGetItem (100 keys a request), written one conditional
 *   PutItem each.
 * - Shared coordination record K (per-channel pacing, burst digests): `pk = shared#K`, `sk = shared`,
 *   with `value`, `version` and `validUntil` (epoch ms); each write is a PutItem conditioned on the
 *   version read (compare-and-set).
 * - Shared list K (a digest window's alerts): `pk = list#K`; `sk = count` holds the positions handed
 *   out (an atomic ADD, so appends never conflict), `sk = item#<position, 8 digits>` each item.
 *
 * So a routed event costs three writes, and its batch one read, whatever the number of sinks. Items of
 * the one-item-per-(event, sink) layout of offboard 0.1 (`pk = delivery#E`) are not read: drain the queue
 * before upgrading (docs/operations.md).
 *
 * Every failure is a LedgerError. Throttling, network and 5xx are transient (the record is redelivered
 * later; nothing is delivered without a claim). A request DynamoDB refuses as invalid
 * (ValidationException: a key too long, an item too large) would be refused again: it is marked
 * `permanent`, and the core dead-letters the record with its reason instead of retrying it.
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

/** DynamoDB errors that a retry of the same request cannot fix. */
const PERMANENT: ReadonlySet<string> = new Set(["ValidationException", "SerializationException"]);

const ledgerError = (action: string, tableName: string) => (cause: unknown) =>
  new LedgerError({
    message: `DynamoDB ${action} on table ${tableName} failed: ${errorName(cause)}: ${errorMessage(cause)}`,
    cause,
    ...(PERMANENT.has(errorName(cause)) && { permanent: true }),
  });

/** The one item per event that holds every sink's claim and receipt. */
const eventKey = (eventId: string): Item => ({ pk: { S: `event#${eventId}` }, sk: { S: "sinks" } });
const caseKey = (subjectId: string): Item => ({ pk: { S: `case#${subjectId}` }, sk: { S: "case" } });
const sharedKey = (key: string): Item => ({ pk: { S: `shared#${key}` }, sk: { S: "shared" } });

const num = (v: AttributeValue | undefined): number | undefined => (v?.N === undefined ? undefined : Number(v.N));

const parseJson = <A>(v: AttributeValue | undefined, what: string): A => {
  if (v?.S === undefined) throw new Error(`ledger item has no ${what}`);
  return JSON.parse(v.S) as A;
};

/** Attribute name of a sink's slot in the event item. */
const slotName = (sink: string) => `sink:${sink}`;

/** What a sink's slot says, given the time: a Claim that is not ours, or undefined when it may be claimed. */
const slotClaim = (slot: AttributeValue | undefined, now: number, where: string): Claim | undefined => {
  const m = slot?.M;
  if (m === undefined) return undefined;
  if (m.state?.S === "done") return { _tag: "Completed", receipt: parseJson<Receipt>(m.receipt, `receipt (${where})`) };
  const leaseUntil = num(m.leaseUntil) ?? 0;
  return leaseUntil > now ? { _tag: "Busy", leaseUntil } : undefined;
};

/** BatchGetItem takes at most 100 keys per request. */
const BATCH_GET_MAX = 100;

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

  /** The event item, read consistently (only when a failed condition did not hand it back). */
  const readEvent = (eventId: string) =>
    send("GetItem", (abortSignal) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: eventKey(eventId), ConsistentRead: true }), {
        abortSignal,
      }),
    ).pipe(
      Effect.map((out) => out.Item),
      Effect.mapError(fail("GetItem")),
    );

  /**
   * One conditional UpdateItem that leases every sink in `wanted`, on the condition that each is free
   * (no slot, or a lapsed lease). Resolves the claims when it wrote; otherwise the item as it stood
   * (DynamoDB hands it back with the failed condition), so the caller can see who holds what.
   */
  const tryClaim = (eventId: string, wanted: ReadonlyArray<string>, leaseMs: number, now: number) => {
    const token = randomUUID();
    const leaseUntil = now + leaseMs;
    const names: Record<string, string> = { "#state": "state", "#until": "leaseUntil" };
    const sets: Array<string> = [];
    const conditions: Array<string> = [];
    wanted.forEach((sink, i) => {
      names[`#s${i}`] = slotName(sink);
      sets.push(`#s${i} = :lease`);
      conditions.push(`(attribute_not_exists(#s${i}) OR (#s${i}.#state = :leased AND #s${i}.#until <= :now))`);
    });
    return send("UpdateItem", (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: eventKey(eventId),
          UpdateExpression: `SET ${sets.join(", ")}, expiresAt = :exp, updatedAt = :now ADD attempts :one`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ":lease": {
              M: { state: { S: "leased" }, token: { S: token }, leaseUntil: { N: String(leaseUntil) } },
            },
            ":leased": { S: "leased" },
            ":exp": expiresAt(now),
            ":now": { N: String(now) },
            ":one": { N: "1" },
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
        { abortSignal },
      ),
    ).pipe(
      Effect.as({ claimed: { _tag: "Claimed", token, leaseUntil } as Claim }),
      Effect.catch((e) => {
        if (!e.conditionFailed) return Effect.fail(fail("UpdateItem")(e));
        const item = (e.cause as { Item?: Item }).Item;
        return item !== undefined ? Effect.succeed({ item }) : Effect.map(readEvent(eventId), (item) => ({ item }));
      }),
    );
  };

  const claimAll = Effect.fn("DynamoDbLedger.claimAll")(function* (
    eventId: string,
    sinks: ReadonlyArray<string>,
    leaseMs: number,
  ) {
    const claims = new Map<string, Claim>();
    let wanted = [...new Set(sinks)];
    // A failed condition shows which sinks are taken; the rest are tried again (the item may also have
    // changed or vanished in between: released, or expired by TTL).
    for (let attempt = 0; attempt < 3 && wanted.length > 0; attempt++) {
      const now = yield* Clock.currentTimeMillis;
      const result = yield* tryClaim(eventId, wanted, leaseMs, now);
      if ("claimed" in result) {
        for (const sink of wanted) claims.set(sink, result.claimed);
        return claims;
      }
      const free: Array<string> = [];
      for (const sink of wanted) {
        const taken = yield* Effect.try({
          try: () => slotClaim(result.item?.[slotName(sink)], now, `${eventId}/${sink}`),
          catch: (cause) => ledgerError("UpdateItem", tableName)(cause),
        });
        if (taken === undefined) free.push(sink);
        else claims.set(sink, taken);
      }
      wanted = free;
    }
    if (wanted.length > 0) {
      return yield* new LedgerError({
        message: `claim on ${eventId}/${wanted.join(",")} kept racing with other writers`,
      });
    }
    return claims;
  });

  /** One sink's settlement on its own, with its own condition (after a combined write's condition failed). */
  const settleOne = (eventId: string, s: Settlement, now: number) =>
    send("UpdateItem", (abortSignal) =>
      client.send(
        s.receipt !== undefined
          ? new UpdateItemCommand({
              TableName: tableName,
              Key: eventKey(eventId),
              UpdateExpression: "SET #s = :done, expiresAt = :exp, updatedAt = :now",
              ConditionExpression: "attribute_not_exists(#s) OR #s.#state <> :doneState",
              ExpressionAttributeNames: { "#s": slotName(s.sink), "#state": "state" },
              ExpressionAttributeValues: {
                ":done": doneSlot(s.receipt, now),
                ":doneState": { S: "done" },
                ":now": { N: String(now) },
                ":exp": expiresAt(now),
              },
            })
          : new UpdateItemCommand({
              TableName: tableName,
              Key: eventKey(eventId),
              UpdateExpression: "REMOVE #s SET updatedAt = :now",
              ConditionExpression: "#s.#state = :leased AND #s.#token = :token",
              ExpressionAttributeNames: { "#s": slotName(s.sink), "#state": "state", "#token": "token" },
              ExpressionAttributeValues: {
                ":leased": { S: "leased" },
                ":token": { S: s.token },
                ":now": { N: String(now) },
              },
            }),
        { abortSignal },
      ),
    ).pipe(Effect.catch((e) => (e.conditionFailed ? Effect.void : Effect.fail(fail("UpdateItem")(e)))));

  const doneSlot = (receipt: Receipt, now: number): AttributeValue => ({
    M: { state: { S: "done" }, receipt: { S: JSON.stringify(receipt) }, completedAt: { N: String(now) } },
  });

  const settle = Effect.fn("DynamoDbLedger.settle")(function* (
    eventId: string,
    settlements: ReadonlyArray<Settlement>,
  ) {
    if (settlements.length === 0) return;
    const now = yield* Clock.currentTimeMillis;
    // Recorded even when our lease has lapsed: the delivery happened, and forgetting it could repeat it.
    // The first receipt wins when two attempts both delivered. A lease is given back only while ours.
    // DynamoDB refuses names and values an expression does not use: each is added where it is used.
    const names: Record<string, string> = { "#state": "state" };
    const values: Record<string, AttributeValue> = { ":now": { N: String(now) }, ":exp": expiresAt(now) };
    const sets: Array<string> = ["expiresAt = :exp", "updatedAt = :now"];
    const removes: Array<string> = [];
    const conditions: Array<string> = [];
    settlements.forEach((s, i) => {
      names[`#s${i}`] = slotName(s.sink);
      if (s.receipt !== undefined) {
        values[`:d${i}`] = doneSlot(s.receipt, now);
        values[":doneState"] = { S: "done" };
        sets.push(`#s${i} = :d${i}`);
        conditions.push(`(attribute_not_exists(#s${i}) OR #s${i}.#state <> :doneState)`);
      } else {
        names["#token"] = "token";
        values[":leased"] = { S: "leased" };
        values[`:t${i}`] = { S: s.token };
        removes.push(`#s${i}`);
        conditions.push(`(#s${i}.#state = :leased AND #s${i}.#token = :t${i})`);
      }
    });
    const all = yield* send("UpdateItem", (abortSignal) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: eventKey(eventId),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        { abortSignal },
      ),
    ).pipe(
      Effect.as(true),
      Effect.catch((e) => (e.conditionFailed ? Effect.succeed(false) : Effect.fail(fail("UpdateItem")(e)))),
    );
    // Someone else got there first for one of them: settle each on its own condition.
    if (!all) yield* Effect.forEach(settlements, (s) => settleOne(eventId, s, now), { discard: true });
  });

  const getCases = Effect.fn("DynamoDbLedger.getCases")(function* (subjectIds: ReadonlyArray<string>) {
    const found = new Map<string, CaseRecord>();
    const ids = [...new Set(subjectIds)];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX) {
      let keys: Array<Item> = ids.slice(i, i + BATCH_GET_MAX).map(caseKey);
      // Unprocessed keys (throttling, the 16 MB response limit) are asked for again, a few times.
      for (let round = 0; keys.length > 0; round++) {
        if (round === 5) {
          return yield* new LedgerError({
            message: `DynamoDB BatchGetItem on table ${tableName} left ${keys.length} case records unread`,
          });
        }
        if (round > 0) yield* Effect.sleep(Duration.millis(25 * 2 ** round));
        const out = yield* send("BatchGetItem", (abortSignal) =>
          client.send(
            new BatchGetItemCommand({
              RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
            }),
            { abortSignal },
          ),
        ).pipe(Effect.mapError(fail("BatchGetItem")));
        for (const item of out.Responses?.[tableName] ?? []) {
          const subjectId = item.pk?.S?.slice("case#".length) ?? "";
          const record = yield* Effect.try({
            try: () => parseJson<CaseRecord>(item.record, "case record"),
            catch: (cause) => ledgerError("BatchGetItem", tableName)(cause),
          });
          found.set(subjectId, record);
        }
        keys = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Array<Item>;
      }
    }
    return found;
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

  return DeliveryLedger.make({
    claimAll,
    settle,
    getCases,
    putCase,
    getShared,
    putShared,
    appendShared,
    listShared,
  });
};

/** The DynamoDB delivery ledger as a layer for the core's `DeliveryLedger` port. */
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
