/**
 * The CLI's local state directory (`OFFBOARD_STATE_DIR`, default `.offboard/`) holds personal data:
 * `outbox.jsonl` (each routed event: ids, logins, names, the admin's reason), `rejected.jsonl` (each
 * rejected input record as given) and `ledger.sqlite` (what was delivered where, per Okta user id).
 * It is private to the user who runs offboard: the directory 0700, every file in it 0600.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The files offboard keeps in the state directory. */
export const STATE_FILES = ["outbox.jsonl", "rejected.jsonl", "ledger.sqlite"] as const;

/** SQLite's companion files of the ledger (WAL, shared memory, rollback journal). */
export const LEDGER_COMPANIONS = ["ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.sqlite-journal"] as const;

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

const OWN_FILES: ReadonlySet<string> = new Set<string>([...STATE_FILES, ...LEDGER_COMPANIONS]);

/**
 * Makes the state directory private before anything is written: creates it 0700, tightens offboard's
 * own files in it to 0600, and sets this process's umask to 077 so every file created later (by the
 * outbox, the ledger, SQLite's WAL) is 0600 from its first byte. An existing directory is tightened to
 * 0700 only when it holds nothing but offboard's files: pointing OFFBOARD_STATE_DIR at a shared folder
 * (`.`, `/tmp`) must not change that folder or anything else in it.
 */
export const preparePrivateStateDir = (dir: string): void => {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the directory and existing files are still tightened.
  }
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const entries = readdirSync(dir);
  if (!existed || entries.every((name) => OWN_FILES.has(name) || name.endsWith(".purge-tmp"))) {
    chmodSync(dir, DIR_MODE);
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (OWN_FILES.has(name) && statSync(path).isFile()) chmodSync(path, FILE_MODE);
  }
};

/** `30d`, `12h`, `90m` as milliseconds; undefined when the text is not such a duration. */
export const parseAge = (text: string): number | undefined => {
  const m = /^(\d+)\s*([dhm])$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === "d" ? 86_400_000 : m[2] === "h" ? 3_600_000 : 60_000;
  return n * unit;
};

/** True when the state directory exists. */
export const hasStateDir = (dir: string): boolean => existsSync(dir);
