import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeliveryLedger } from "@offboard/core";
import { describeLedgerContract } from "@offboard/testkit";
import Database from "better-sqlite3";
import { Effect } from "effect";
import { afterAll, describe, expect, it } from "vitest";
import { makeSqliteLedger, SQLITE_LEDGER_SCHEMA_VERSION, SqliteLedger } from "../../src/ledger/sqlite.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Runs an ES module snippet in its own node process (with tsx, to import .ts) and resolves with its stdout. */
const runTsx = (code: string, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--conditions=development", "--import", "tsx", "--input-type=module", "--eval", code, "--", ...args],
      { cwd: here },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
    );
  });

const root = mkdtempSync(join(tmpdir(), "offboard-sqlite-ledger-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
/** A fresh ledger file in a directory that does not exist yet. */
const tempLedgerPath = () => {
  files += 1;
  return join(root, `run-${files}`, "state", "ledger.sqlite");
};

describeLedgerContract("SqliteLedger", () => SqliteLedger.layer({ path: tempLedgerPath() }));

const runWith = <A, E>(path: string, program: Effect.Effect<A, E, DeliveryLedger>) =>
  Effect.runPromise(Effect.provide(program, SqliteLedger.layer({ path })));

const receipt = { sink: "jira", ref: "IT-42", url: "https://acme.atlassian.net/browse/IT-42" };

describe("SqliteLedger on a shared file", () => {
  it("creates the state directory and the file, in WAL mode, at the current schema version", async () => {
    const path = tempLedgerPath();
    await runWith(
      path,
      DeliveryLedger.use((l) => l.getCase("00u-nobody")),
    );
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("user_version", { simple: true })).toBe(SQLITE_LEDGER_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it("shows one ledger's claim as Busy to a second ledger open on the same file", async () => {
    const path = tempLedgerPath();
    const [first, second] = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const a = yield* makeSqliteLedger({ path });
          const b = yield* makeSqliteLedger({ path });
          const first = yield* a.claim("evt-shared", "jira", 60_000);
          const second = yield* b.claim("evt-shared", "jira", 60_000);
          return [first, second] as const;
        }),
      ),
    );
    expect(first._tag).toBe("Claimed");
    expect(second).toEqual({ _tag: "Busy", leaseUntil: first._tag === "Claimed" ? first.leaseUntil : -1 });
  });

  it("shows one ledger's completed delivery and case record to a second ledger on the same file", async () => {
    const path = tempLedgerPath();
    const record = {
      subjectId: "00u-shared",
      openedBy: "evt-shared",
      openedKind: "deactivated",
      lastPublished: 1_762_160_412_345,
      lastKind: "deactivated",
      receipts: { jira: receipt },
    } as const;
    const [claim, found] = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const a = yield* makeSqliteLedger({ path });
          const b = yield* makeSqliteLedger({ path });
          const mine = yield* a.claim("evt-shared", "jira", 60_000);
          if (mine._tag !== "Claimed") return yield* Effect.die(new Error("first claim was not granted"));
          yield* a.complete("evt-shared", "jira", mine.token, receipt);
          yield* a.putCase(record);
          return [yield* b.claim("evt-shared", "jira", 60_000), yield* b.getCase("00u-shared")] as const;
        }),
      ),
    );
    expect(claim).toEqual({ _tag: "Completed", receipt });
    expect(found).toEqual(record);
  });

  it("remembers completed deliveries after the file is closed and opened again", async () => {
    const path = tempLedgerPath();
    await runWith(
      path,
      Effect.gen(function* () {
        const l = yield* DeliveryLedger;
        const c = yield* l.claim("evt-persist", "jira", 60_000);
        if (c._tag === "Claimed") yield* l.complete("evt-persist", "jira", c.token, receipt);
      }),
    );
    const again = await runWith(
      path,
      DeliveryLedger.use((l) => l.claim("evt-persist", "jira", 60_000)),
    );
    expect(again).toEqual({ _tag: "Completed", receipt });
  });

  it("grants exactly one claim when several processes race on one file", async () => {
    const path = tempLedgerPath();
    await runWith(
      path,
      DeliveryLedger.use((l) => l.getCase("00u-init")),
    );
    const script = `
      import { Effect } from "effect";
      import { makeSqliteLedger } from ${JSON.stringify(join(here, "../../src/ledger/sqlite.ts"))};
      const claim = await Effect.runPromise(Effect.scoped(Effect.flatMap(
        makeSqliteLedger({ path: process.argv.at(-1) }), (l) => l.claim("evt-race", "slack", 60000))));
      process.stdout.write(claim._tag);
    `;
    const tags = await Promise.all(Array.from({ length: 4 }, () => runTsx(script, [path])));
    expect(tags.filter((t) => t === "Claimed")).toHaveLength(1);
    expect(tags.filter((t) => t === "Busy")).toHaveLength(3);
  }, 60_000);

  it("refuses a file written by a newer schema version with a message that says so", async () => {
    const path = tempLedgerPath();
    await runWith(
      path,
      DeliveryLedger.use((l) => l.getCase("00u-init")),
    );
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_LEDGER_SCHEMA_VERSION + 1}`);
    db.close();
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          DeliveryLedger.use((l) => l.getCase("00u-x")),
          SqliteLedger.layer({ path }),
        ),
      ),
    );
    expect(error._tag).toBe("LedgerError");
    expect(error.message).toContain("newer than this offboard understands");
  });

  it("fails with a one-line LedgerError naming the state directory when it cannot be used", async () => {
    const blocker = join(root, "not-a-dir");
    writeFileSync(blocker, "a file where the state directory should be");
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          DeliveryLedger.use((l) => l.getCase("00u-x")),
          SqliteLedger.layer({ path: join(blocker, "ledger.sqlite") }),
        ),
      ),
    );
    expect(error._tag).toBe("LedgerError");
    expect(error.message).toBe(`cannot use state directory ${blocker}: exists and is not a directory`);
  });
});
