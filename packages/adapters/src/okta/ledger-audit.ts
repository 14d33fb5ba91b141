/**
 * Reading the delivery ledger without touching it, for reconciliation against Okta's System Log: which
 * sinks hold a completed delivery (with its receipt and time) for an Okta event. The DeliveryLedger port
 * only claims (a write); an audit must never take a lease a worker would then wait on.
 *
 * Reads the same layouts the ledgers write: the SQLite file's `deliveries` table and the DynamoDB table's
 * `delivery#<uuid>` / `sink#<name>` items.
 */
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { Receipt } from "@offboard/core";

export interface AuditedDelivery {
  readonly sink: string;
  readonly state: "done" | "leased";
  /** When the delivery completed (ISO), when the ledger knows. */
  readonly completedAt?: string;
  readonly receipt?: Receipt;
}

export interface LedgerAudit {
  readonly deliveries: (eventId: string) => Promise<ReadonlyArray<AuditedDelivery>>;
  readonly close: () => Promise<void>;
}

const parseReceipt = (json: unknown): Receipt | undefined => {
  if (typeof json !== "string") return undefined;
  try {
    const r = JSON.parse(json) as Receipt;
    return typeof r === "object" && r !== null && typeof r.sink === "string" ? r : undefined;
  } catch {
    return undefined;
  }
};

/** The SQLite ledger file, opened read-only. A missing file is an empty ledger. */
export const sqliteLedgerAudit = async (path: string): Promise<LedgerAudit> => {
  const { existsSync } = await import("node:fs");
  if (!existsSync(path)) return { deliveries: async () => [], close: async () => {} };
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  const query = db.prepare<[string], { sink: string; state: string; receipt_json: string | null; updated_at: number }>(
    "SELECT sink, state, receipt_json, updated_at FROM deliveries WHERE event_id = ?",
  );
  return {
    deliveries: async (eventId) =>
      query.all(eventId).map((row) => {
        const receipt = parseReceipt(row.receipt_json);
        return {
          sink: row.sink,
          state: row.state === "done" ? "done" : "leased",
          ...(row.state === "done" ? { completedAt: new Date(row.updated_at).toISOString() } : {}),
          ...(receipt !== undefined ? { receipt } : {}),
        };
      }),
    close: async () => {
      db.close();
    },
  };
};

/** The DynamoDB ledger table (one Query per event; needs dynamodb:Query on the table). */
export const dynamoDbLedgerAudit = (
  tableName: string,
  client: DynamoDBClient = new DynamoDBClient({}),
): LedgerAudit => ({
  deliveries: async (eventId) => {
    const out: Array<AuditedDelivery> = [];
    let start: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
    do {
      const res = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: `delivery#${eventId}` } },
          ConsistentRead: true,
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of res.Items ?? []) {
        const sink = item.sk?.S?.replace(/^sink#/, "");
        if (sink === undefined) continue;
        const done = item.state?.S === "done";
        const completed = item.completedAt?.N ?? item.completedAt?.S;
        const receipt = parseReceipt(item.receipt?.S);
        out.push({
          sink,
          state: done ? "done" : "leased",
          ...(done && completed !== undefined
            ? {
                completedAt: new Date(Number.isFinite(Number(completed)) ? Number(completed) : completed).toISOString(),
              }
            : {}),
          ...(receipt !== undefined ? { receipt } : {}),
        });
      }
      start = res.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  },
  close: async () => {},
});
