/**
 * The System Log poller's checkpoint (Okta's `next` link) in the ledger table, one item per org:
 * `pk = poller#<org origin>`, `sk = checkpoint`, with `next`, `lastPublished`, `updatedAt` and a `version`.
 *
 * Every write is conditional on the version read, so two overlapping poller runs can never both advance
 * the checkpoint: the loser stops (what it enqueued is a duplicate the worker's ledger skips) and the
 * checkpoint never moves backwards.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";

export interface StoredCheckpoint {
  readonly next: string;
  readonly lastPublished?: string | undefined;
  readonly updatedAt: string;
  /** 0 when there is none yet. */
  readonly version: number;
}

export interface CheckpointStore {
  readonly read: () => Promise<StoredCheckpoint | undefined>;
  /** Writes the checkpoint if it is still at `expectedVersion`; false when another run moved it first. */
  readonly write: (
    c: Omit<StoredCheckpoint, "version" | "updatedAt">,
    expectedVersion: number,
  ) => Promise<{ readonly written: boolean; readonly version: number }>;
}

export const dynamoDbCheckpointStore = (client: DynamoDBClient, tableName: string, org: string): CheckpointStore => {
  const key = { pk: { S: `poller#${org}` }, sk: { S: "checkpoint" } };
  return {
    read: async () => {
      const res = await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      const item = res.Item;
      if (item?.next?.S === undefined) return undefined;
      return {
        next: item.next.S,
        lastPublished: item.lastPublished?.S,
        updatedAt: item.updatedAt?.S ?? "",
        version: Number(item.version?.N ?? "0"),
      };
    },
    write: async (c, expectedVersion) => {
      const version = expectedVersion + 1;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key,
              next: { S: c.next },
              ...(c.lastPublished !== undefined ? { lastPublished: { S: c.lastPublished } } : {}),
              updatedAt: { S: new Date().toISOString() },
              version: { N: String(version) },
            },
            ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(pk)" : "version = :v",
            ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ":v": { N: String(expectedVersion) } } }),
          }),
        );
        return { written: true, version };
      } catch (e) {
        if (
          e instanceof ConditionalCheckFailedException ||
          (e as { name?: string }).name === "ConditionalCheckFailedException"
        ) {
          return { written: false, version: expectedVersion };
        }
        throw e;
      }
    },
  };
};

/** A checkpoint store in memory, for tests and one-shot runs. */
export const memoryCheckpointStore = (): CheckpointStore & { current: StoredCheckpoint | undefined } => {
  const store = {
    current: undefined as StoredCheckpoint | undefined,
    read: async () => store.current,
    write: async (c: Omit<StoredCheckpoint, "version" | "updatedAt">, expectedVersion: number) => {
      if ((store.current?.version ?? 0) !== expectedVersion) return { written: false, version: expectedVersion };
      store.current = { ...c, updatedAt: new Date().toISOString(), version: expectedVersion + 1 };
      return { written: true, version: expectedVersion + 1 };
    },
  };
  return store;
};
