import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  exports: unknown;
  bin: unknown;
};
/** Every path in an `exports` or `bin` field, however its conditions nest. */
const paths = (field: unknown): Array<string> =>
  typeof field === "string"
    ? [field]
    : typeof field === "object" && field !== null
      ? Object.values(field).flatMap(paths)
      : [];

describe("the @offboard/cli package", () => {
  it("names only files that exist in exports and bin", () => {
    const named = [...paths(manifest.exports), ...paths(manifest.bin)];
    expect(named.length).toBeGreaterThan(1);
    expect(named.filter((path) => !existsSync(resolve(root, path)))).toEqual([]);
  });

  it("exports main and buildProgram from its source entry point", async () => {
    const entry = (await import(resolve(root, "src/index.ts"))) as Record<string, unknown>;
    expect(typeof entry.main).toBe("function");
    expect(typeof entry.buildProgram).toBe("function");
  });
});
