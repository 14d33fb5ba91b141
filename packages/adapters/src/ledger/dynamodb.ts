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

const deliveryKey = (eventId: string, sink: string): Item => ({
  pk: { S: `delivery#${eventId}` },
  sk: { S: `sink#${sink}` },
});
const caseKey = (subjectId: string): Item => ({ pk: { S: `case#${subjectId}` }, sk: { S: "case" } });

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

  return DeliveryLedger.of({ claim, complete, release, getCase, putCase });
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
