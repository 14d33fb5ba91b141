import { randomUUID } from "node:crypto";
import {
  type CaseRecord,
  type Claim,
  DeliveryLedger,
  LedgerError,
  type Receipt,
  type Settlement,
} from "@offboard/core";
import type BetterSqlite3 from "better-sqlite3";
import { Clock, Effect, Layer, type Scope } from "effect";
import { prepareDirOf, StateDirError } from "./state-dir.ts";

/**
 * The delivery ledger in a local SQLite file, for `offboard replay` and `offboard worker` on one machine.
 *
 * Several processes may share the file: WAL mode lets readers and one writer work side by side, and each
 * claim of an event's sinks is one `BEGIN IMMEDIATE` transaction (per sink, an upsert that only takes
 * over a missing row or an expired lease, then a read-back), so two processes can never both hold a
 * claim on one (event, sink). Recording an event's results is one transaction too.
 *
 * better-sqlite3 is imported lazily when the layer is built: the Lambda bundle marks it external and
 * never builds this layer, so it never loads the native module.
 */

/** Where the ledger lives when no path is given: under the state directory `.offboard/` of the cwd. */
export const DEFAULT_SQLITE_LEDGER_PATH = ".offboard/ledger.sqlite";

/** Where the SQLite ledger keeps its file, and how long it waits for another process's lock. */
export interface SqliteLedgerOptions {
  /** The database file (created with its directory when missing); `:memory:` for a private in-memory ledger. */
  readonly path?: string;
  /** How long a statement waits for another process's write lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

/** Schema migrations, applied in order; `PRAGMA user_version` is the number applied so far. */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE deliveries (
     event_id     TEXT    NOT NULL,
     sink         TEXT    NOT NULL,
     state        TEXT    NOT NULL CHECK (state IN ('leased', 'done')),
     token        TEXT,
     lease_until  INTEGER,
     receipt_json TEXT,
     updated_at   INTEGER NOT NULL,
     PRIMARY KEY (event_id, sink)
   ) WITHOUT ROWID;
   CREATE TABLE cases (
     subject_id  TEXT    NOT NULL PRIMARY KEY,
     record_json TEXT    NOT NULL,
     updated_at  INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  `CREATE TABLE shared (
     key         TEXT    NOT NULL PRIMARY KEY,
     value       TEXT    NOT NULL,
     version     INTEGER NOT NULL,
     valid_until INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE shared_list (
     key         TEXT    NOT NULL,
     position    INTEGER NOT NULL,
     item        TEXT    NOT NULL,
     valid_until INTEGER NOT NULL,
     PRIMARY KEY (key, position)
   ) WITHOUT ROWID;`,
];

/** The schema version this code writes. */
export const SQLITE_LEDGER_SCHEMA_VERSION = MIGRATIONS.length;

interface DeliveryRow {
  readonly state: "leased" | "done";
  readonly token: string | null;
  readonly lease_until: number | null;
  readonly receipt_json: string | null;
}

const ledgerError = (what: string, cause: unknown) =>
  new LedgerError({
    message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause,
  });

const migrate = (db: BetterSqlite3.Database, path: string): void => {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `${path} has ledger schema version ${version}, newer than this offboard understands (${MIGRATIONS.length}); upgrade offboard`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
};

const parseReceipt = (json: string | null, where: string): Receipt => {
  const value: unknown = json === null ? undefined : JSON.parse(json);
  if (typeof value !== "object" || value === null || typeof (value as Receipt).sink !== "string") {
    throw new Error(`the stored receipt of ${where} is not a receipt`);
  }
  return value as Receipt;
};

const parseCase = (json: string, subjectId: string): CaseRecord => {
  const value: unknown = JSON.parse(json);
  if (
    typeof value !== "object" ||
    value === null ||
    (value as CaseRecord).subjectId !== subjectId ||
    typeof (value as CaseRecord).receipts !== "object"
  ) {
    throw new Error(`the stored case record of ${subjectId} is not a case record`);
  }
  return value as CaseRecord;
};

/** Builds the ledger over an open database (schema already migrated). */
const ledgerOver = (db: BetterSqlite3.Database): DeliveryLedger["Service"] => {
  const takeOver = db.prepare<
    { eventId: string; sink: string; token: string; leaseUntil: number; now: number },
    { token: string }
  >(
    `INSERT INTO deliveries (event_id, sink, state, token, lease_until, receipt_json, updated_at)
     VALUES (:eventId, :sink, 'leased', :token, :leaseUntil, NULL, :now)
     ON CONFLICT (event_id, sink) DO UPDATE
       SET token = excluded.token, lease_until = excluded.lease_until, updated_at = excluded.updated_at
       WHERE deliveries.state = 'leased' AND deliveries.lease_until <= :now
     RETURNING token`,
  );
  const readDelivery = db.prepare<{ eventId: string; sink: string }, DeliveryRow>(
    `SELECT state, token, lease_until, receipt_json FROM deliveries WHERE event_id = :eventId AND sink = :sink`,
  );
  const markDone = db.prepare<{ eventId: string; sink: string; receipt: string; now: number }>(
    `INSERT INTO deliveries (event_id, sink, state, token, lease_until, receipt_json, updated_at)
     VALUES (:eventId, :sink, 'done', NULL, NULL, :receipt, :now)
     ON CONFLICT (event_id, sink) DO UPDATE
       SET state = 'done', token = NULL, lease_until = NULL,
           receipt_json = excluded.receipt_json, updated_at = excluded.updated_at
       WHERE deliveries.state = 'leased'`,
  );
  const dropLease = db.prepare<{ eventId: string; sink: string; token: string }>(
    `DELETE FROM deliveries WHERE event_id = :eventId AND sink = :sink AND state = 'leased' AND token = :token`,
  );
  const readCase = db.prepare<{ subjectId: string }, { record_json: string }>(
    `SELECT record_json FROM cases WHERE subject_id = :subjectId`,
  );
  const writeCase = db.prepare<{ subjectId: string; record: string; now: number }>(
    `INSERT INTO cases (subject_id, record_json, updated_at) VALUES (:subjectId, :record, :now)
     ON CONFLICT (subject_id) DO UPDATE SET record_json = excluded.record_json, updated_at = excluded.updated_at
     WHERE json_extract(excluded.record_json, '$.lastPublished') >= json_extract(cases.record_json, '$.lastPublished')`,
  );

  const claimTx = db.transaction(
    (eventId: string, sinks: ReadonlyArray<string>, now: number, leaseMs: number): ReadonlyMap<string, Claim> => {
      const token = randomUUID();
      const leaseUntil = now + leaseMs;
      const claims = new Map<string, Claim>();
      for (const sink of sinks) {
        if (takeOver.get({ eventId, sink, token, leaseUntil, now }) !== undefined) {
          claims.set(sink, { _tag: "Claimed", token, leaseUntil });
          continue;
        }
        const row = readDelivery.get({ eventId, sink });
        if (row === undefined) throw new Error(`claim of ${eventId}/${sink} neither took the row nor found it`);
        claims.set(
          sink,
          row.state === "done"
            ? { _tag: "Completed", receipt: parseReceipt(row.receipt_json, `${eventId}/${sink}`) }
            : { _tag: "Busy", leaseUntil: row.lease_until ?? now },
        );
      }
      return claims;
    },
  );

  const settleTx = db.transaction((eventId: string, settlements: ReadonlyArray<Settlement>, now: number) => {
    for (const s of settlements) {
      if (s.receipt !== undefined) markDone.run({ eventId, sink: s.sink, receipt: JSON.stringify(s.receipt), now });
      else dropLease.run({ eventId, sink: s.sink, token: s.token });
    }
  });

  const readCasesTx = db.transaction((subjectIds: ReadonlyArray<string>): ReadonlyMap<string, CaseRecord> => {
    const found = new Map<string, CaseRecord>();
    for (const subjectId of subjectIds) {
      const row = readCase.get({ subjectId });
      if (row !== undefined) found.set(subjectId, parseCase(row.record_json, subjectId));
    }
    return found;
  });

  const readShared = db.prepare<{ key: string; now: number }, { value: string; version: number }>(
    `SELECT value, version FROM shared WHERE key = :key AND valid_until > :now`,
  );
  const writeShared = db.prepare<{ key: string; value: string; version: number; validUntil: number }>(
    `INSERT INTO shared (key, value, version, valid_until) VALUES (:key, :value, :version, :validUntil)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, valid_until = excluded.valid_until`,
  );
  const putSharedTx = db.transaction(
    (key: string, value: string, expected: number | undefined, now: number, ttlMs: number): boolean => {
      if (readShared.get({ key, now })?.version !== expected) return false;
      writeShared.run({ key, value, version: (expected ?? 0) + 1, validUntil: now + ttlMs });
      return true;
    },
  );

  const listRows = db.prepare<{ key: string }, { position: number; item: string; valid_until: number }>(
    `SELECT position, item, valid_until FROM shared_list WHERE key = :key ORDER BY position`,
  );
  const nextPosition = db.prepare<{ key: string }, { next: number }>(
    `SELECT COALESCE(MAX(position) + 1, 0) AS next FROM shared_list WHERE key = :key`,
  );
  const dropList = db.prepare<{ key: string }>(`DELETE FROM shared_list WHERE key = :key`);
  const addItem = db.prepare<{ key: string; position: number; item: string; validUntil: number }>(
    `INSERT INTO shared_list (key, position, item, valid_until) VALUES (:key, :position, :item, :validUntil)`,
  );
  const touchList = db.prepare<{ key: string; validUntil: number }>(
    `UPDATE shared_list SET valid_until = :validUntil WHERE key = :key`,
  );
  const appendTx = db.transaction((key: string, item: string, now: number, ttlMs: number): number => {
    const newest = listRows.all({ key }).at(-1);
    if (newest !== undefined && newest.valid_until <= now) dropList.run({ key });
    const position = nextPosition.get({ key })?.next ?? 0;
    addItem.run({ key, position, item, validUntil: now + ttlMs });
    touchList.run({ key, validUntil: now + ttlMs });
    return position;
  });

  const attempt = <A>(what: string, f: () => A) =>
    Effect.try({ try: f, catch: (cause) => ledgerError(`SQLite ledger ${what} failed`, cause) });

  return DeliveryLedger.make({
    claimAll: (eventId, sinks, leaseMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`claim of ${eventId}/${sinks.join(",")}`, () => claimTx.immediate(eventId, sinks, now, leaseMs)),
      ),
    settle: (eventId, settlements) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`record of ${eventId}/${settlements.map((s) => s.sink).join(",")}`, () =>
          settleTx.immediate(eventId, settlements, now),
        ),
      ),
    getCases: (subjectIds) =>
      attempt(`read of the cases of ${subjectIds.length} users`, () => readCasesTx.deferred(subjectIds)),
    putCase: (record) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`write of the case of ${record.subjectId}`, () => {
          writeCase.run({ subjectId: record.subjectId, record: JSON.stringify(record), now });
        }),
      ),
    getShared: (key) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`read of shared record ${key}`, () => {
          const row = readShared.get({ key, now });
          return row === undefined ? undefined : { value: row.value, version: row.version };
        }),
      ),
    putShared: (key, value, expected, ttlMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`write of shared record ${key}`, () => putSharedTx.immediate(key, value, expected, now, ttlMs)),
      ),
    appendShared: (key, item, ttlMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`append to shared list ${key}`, () => appendTx.immediate(key, item, now, ttlMs)),
      ),
    listShared: (key) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(`read of shared list ${key}`, () => {
          const rows = listRows.all({ key }).filter((r) => r.valid_until > now);
          return {
            size: rows.length === 0 ? 0 : (rows.at(-1)?.position ?? -1) + 1,
            items: rows.map((r) => ({ position: r.position, item: r.item })),
          };
        }),
      ),
  });
};

/** Opens (creating when missing) and migrates the ledger database. The caller closes it. */
const openDatabase = Effect.fn("SqliteLedger.open")(function* (options: SqliteLedgerOptions) {
  const path = options.path ?? DEFAULT_SQLITE_LEDGER_PATH;
  const { default: Database } = yield* Effect.tryPromise({
    try: () => import("better-sqlite3"),
    catch: (cause) => ledgerError("cannot load better-sqlite3 (the SQLite ledger needs it installed)", cause),
  });
  return yield* Effect.try({
    try: () => {
      // Checked and created without recursive mkdir: one named error for an unusable directory.
      if (path !== ":memory:") prepareDirOf(path);
      const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
      try {
        if (path !== ":memory:") db.pragma("journal_mode = WAL");
        db.pragma("synchronous = NORMAL");
        migrate(db, path);
        return db;
      } catch (e) {
        db.close();
        throw e;
      }
    },
    catch: (cause) =>
      cause instanceof StateDirError
        ? new LedgerError({ message: cause.message, cause })
        : ledgerError(`cannot open the SQLite ledger at ${path}`, cause),
  });
});

/**
 * A `DeliveryLedger` over the SQLite file at `path` (default `.offboard/ledger.sqlite`), open for as long
 * as the scope it is built in; the database is closed when that scope closes.
 */
export const makeSqliteLedger = (
  options: SqliteLedgerOptions = {},
): Effect.Effect<DeliveryLedger["Service"], LedgerError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(openDatabase(options), (db) => Effect.sync(() => db.close())),
    ledgerOver,
  );

/**
 * The SQLite delivery ledger as a layer for the core's `DeliveryLedger` port (better-sqlite3 is loaded when the
 * layer is built).
 */
export const SqliteLedger = {
  /** The ledger as a layer: `SqliteLedger.layer({ path: ".offboard/ledger.sqlite" })`. */
  layer: (options: SqliteLedgerOptions = {}): Layer.Layer<DeliveryLedger, LedgerError> =>
    Layer.effect(DeliveryLedger, makeSqliteLedger(options)),
} as const;

/**
 * Forgets what was last written before `cutoffMs` (epoch milliseconds): delivery records that are done
 * or whose lease has run out, and case records; then compacts the file (WAL checkpoint and VACUUM) so
 * the deleted rows no longer sit on disk. For `offboard state purge --older-than`. A forgotten delivery
 * is made again if its event is replayed.
 */
export const purgeSqliteLedger = (
  path: string,
  cutoffMs: number,
): Effect.Effect<{ readonly removed: number; readonly kept: number }, LedgerError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const db = yield* Effect.acquireRelease(openDatabase({ path }), (d) => Effect.sync(() => d.close()));
      const now = yield* Clock.currentTimeMillis;
      return yield* Effect.try({
        try: () => {
          const removed = db
            .transaction(() => {
              const deliveries = db
                .prepare(
                  "DELETE FROM deliveries WHERE updated_at < ? AND (state = 'done' OR lease_until IS NULL OR lease_until <= ?)",
                )
                .run(cutoffMs, now).changes;
              const cases = db.prepare("DELETE FROM cases WHERE updated_at < ?").run(cutoffMs).changes;
              return deliveries + cases;
            })
            .immediate();
          const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
          const kept = count("deliveries") + count("cases");
          db.pragma("wal_checkpoint(TRUNCATE)");
          db.exec("VACUUM");
          return { removed, kept };
        },
        catch: (cause) => ledgerError(`cannot purge the SQLite ledger at ${path}`, cause),
      });
    }),
  );
