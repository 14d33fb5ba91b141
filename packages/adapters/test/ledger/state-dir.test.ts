import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareStateDir, StateDirError } from "../../src/ledger/state-dir.ts";

const dirs: Array<string> = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "offboard-state-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o700);
    rmSync(d, { recursive: true, force: true });
  }
});

const errorOf = (dir: string): StateDirError => {
  try {
    prepareStateDir(dir);
  } catch (e) {
    if (e instanceof StateDirError) return e;
    throw e;
  }
  throw new Error(`${dir} was accepted`);
};

describe("the state directory", () => {
  it("creates missing levels and returns the absolute path", () => {
    const base = scratch();
    expect(prepareStateDir(join(base, "a", "b"))).toBe(join(base, "a", "b"));
  });

  it("names a path under /proc as unusable instead of looping", () => {
    const e = errorOf("/proc/nope");
    expect(e.message).toBe("cannot use state directory /proc/nope: no such file or directory");
    expect(e.message).not.toContain("\n");
  });

  it("names a file in the way", () => {
    const base = scratch();
    writeFileSync(join(base, "file"), "");
    expect(errorOf(join(base, "file")).message).toBe(
      `cannot use state directory ${join(base, "file")}: exists and is not a directory`,
    );
    expect(errorOf(join(base, "file", "sub")).message).toBe(
      `cannot use state directory ${join(base, "file", "sub")}: a part of the path is not a directory`,
    );
  });

  it.skipIf(process.getuid?.() === 0)("says permission denied for a directory it may not write (not as root)", () => {
    const base = scratch();
    chmodSync(base, 0o500);
    expect(errorOf(join(base, "state")).message).toBe(
      `cannot use state directory ${join(base, "state")}: permission denied`,
    );
  });
});
