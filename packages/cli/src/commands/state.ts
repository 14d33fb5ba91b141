/**
 * `offboard state purge [--older-than 30d]`: removes the personal data the CLI keeps locally.
 *
 * Without `--older-than` it deletes `outbox.jsonl`, `rejected.jsonl` and `ledger.sqlite` (with SQLite's
 * companion files). With it, it keeps what is younger: outbox lines by `deliveredAt`, rejected lines by
 * `at`, ledger rows by their last update (then compacts the file, so deleted rows are gone from disk).
 * A forgotten delivery is delivered again if the same event is replayed later.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_STATE_DIR, purgeSqliteLedger } from "@offboard/adapters";
import type { Command } from "commander";
import { Effect } from "effect";
import { UsageError } from "../io.ts";
import { FILE_MODE, LEDGER_COMPANIONS, parseAge, preparePrivateStateDir, STATE_FILES } from "../state.ts";

export interface PurgeResult {
  readonly file: string;
  readonly removed: number;
  readonly kept: number;
  /** "deleted" when the whole file went; "pruned" when older entries were removed; "absent". */
  readonly action: "deleted" | "pruned" | "absent";
}

const lineCount = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "").length;

/**
 * Keeps the lines of a JSON Lines file whose `field` is a time at or after `cutoff`; a line that is not
 * JSON or has no readable time (a line cut short by a crash) is removed too. Rewritten atomically, 0600.
 */
const pruneJsonLines = (path: string, field: string, cutoff: number): { removed: number; kept: number } => {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const keep = lines.filter((line) => {
    try {
      const at = Date.parse(String((JSON.parse(line) as Record<string, unknown>)[field]));
      return Number.isFinite(at) && at >= cutoff;
    } catch {
      return false;
    }
  });
  const tmp = `${path}.purge-tmp`;
  writeFileSync(tmp, keep.map((l) => `${l}\n`).join(""), { mode: FILE_MODE });
  renameSync(tmp, path);
  return { removed: lines.length - keep.length, kept: keep.length };
};

/** Purges the state directory; `olderThanMs` undefined deletes everything. */
export const purgeState = async (
  dir: string,
  olderThanMs: number | undefined,
  now = Date.now(),
): Promise<Array<PurgeResult>> => {
  if (!existsSync(dir)) return STATE_FILES.map((file) => ({ file, removed: 0, kept: 0, action: "absent" as const }));
  preparePrivateStateDir(dir);
  const cutoff = olderThanMs === undefined ? undefined : now - olderThanMs;
  const results: Array<PurgeResult> = [];
  for (const file of STATE_FILES) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      results.push({ file, removed: 0, kept: 0, action: "absent" });
      continue;
    }
    if (cutoff === undefined) {
      const removed = file === "ledger.sqlite" ? 0 : lineCount(path);
      rmSync(path);
      if (file === "ledger.sqlite") for (const c of LEDGER_COMPANIONS) rmSync(join(dir, c), { force: true });
      results.push({ file, removed, kept: 0, action: "deleted" });
    } else if (file === "ledger.sqlite") {
      const r = await Effect.runPromise(purgeSqliteLedger(path, cutoff));
      results.push({ file, removed: r.removed, kept: r.kept, action: "pruned" });
    } else {
      const r = pruneJsonLines(path, file === "outbox.jsonl" ? "deliveredAt" : "at", cutoff);
      results.push({ file, ...r, action: "pruned" });
    }
  }
  return results;
};

const describe = (r: PurgeResult): string => {
  const unit = r.file === "ledger.sqlite" ? "rows" : "lines";
  if (r.action === "absent") return `${r.file}: not there`;
  if (r.action === "deleted") return `${r.file}: deleted${r.file === "ledger.sqlite" ? "" : ` (${r.removed} ${unit})`}`;
  return `${r.file}: removed ${r.removed} ${unit}, kept ${r.kept}`;
};

export const registerState = (program: Command): void => {
  const state = program
    .command("state")
    .description("the local state directory (OFFBOARD_STATE_DIR, default .offboard): personal data kept by replay");
  state
    .command("purge")
    .description(
      "delete outbox.jsonl, rejected.jsonl and ledger.sqlite, or with --older-than only their older entries " +
        "(a forgotten delivery is delivered again if its event is replayed)",
    )
    .option("--older-than <age>", "keep entries younger than this: 30d, 12h or 90m")
    .action(async (opts: { olderThan?: string }) => {
      const olderThanMs = opts.olderThan === undefined ? undefined : parseAge(opts.olderThan);
      if (opts.olderThan !== undefined && olderThanMs === undefined) {
        throw new UsageError(`--older-than must be a number of days, hours or minutes such as 30d, 12h or 90m`);
      }
      const raw = process.env.OFFBOARD_STATE_DIR?.trim();
      const dir = raw !== undefined && raw !== "" ? raw : DEFAULT_STATE_DIR;
      for (const r of await purgeState(dir, olderThanMs)) process.stdout.write(`${describe(r)}\n`);
    });
};
