import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Data } from "effect";

/**
 * The local state directory (OFFBOARD_STATE_DIR): checked and created before anything opens a file in
 * it, so an unusable one is one named error (`cannot use state directory …: permission denied`), not
 * a stack trace from deep inside SQLite, nor the endless loop Node's recursive mkdir falls into on
 * some pseudo file systems (`/proc/…`).
 */

/** The state directory cannot be used. `message` is one line an operator can act on. */
export class StateDirError extends Data.TaggedError("StateDirError")<{
  readonly path: string;
  readonly message: string;
  readonly cause?: unknown;
}> {}

const WHY: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "exists and is not a directory",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the path is too long",
};

const why = (cause: unknown): string => {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return WHY[code] ?? code.toLowerCase();
  return cause instanceof Error ? cause.message : String(cause);
};

const fail = (path: string, reason: string, cause?: unknown): never => {
  throw new StateDirError({
    path,
    message: `cannot use state directory ${path}: ${reason}`,
    ...(cause !== undefined && { cause }),
  });
};

/** How many missing levels are created at most (a typo should not build a deep tree). */
const MAX_NEW_LEVELS = 16;

/**
 * Makes sure `dir` exists, is a directory and is writable (a probe file is written and removed, which
 * also catches read-only mounts and pseudo file systems where the permission bits say yes). Returns
 * the absolute path. Throws `StateDirError` with one line naming the cause.
 */
export const prepareStateDir = (dir: string): string => {
  const path = resolve(dir);
  // Find the nearest existing ancestor, then create the missing levels one by one (never recursive mkdir).
  const missing: Array<string> = [];
  let at = path;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      if ((e as { code?: unknown }).code !== "ENOENT") return fail(path, why(e), e);
      const up = dirname(at);
      if (up === at || missing.length >= MAX_NEW_LEVELS) return fail(path, "no such file or directory", e);
      missing.push(at);
      at = up;
      continue;
    }
    if (!isDir) return fail(path, at === path ? "exists and is not a directory" : `${at} is not a directory`);
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (e) {
      if ((e as { code?: unknown }).code !== "EEXIST") return fail(path, why(e), e);
    }
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    const probe = join(path, `.offboard-probe-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (e) {
    return fail(path, why(e), e);
  }
  return path;
};

/** `prepareStateDir` for a file's directory (the SQLite ledger, the outbox). */
export const prepareDirOf = (file: string): string => prepareStateDir(dirname(file));
