import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, type Decided, decideBody } from "../src/index.ts";

/**
 * Every real Okta sample in ../shared/fixtures/okta (see PROVENANCE.md there) must decode; lifecycle
 * samples must route with the right kind and subject. The samples are read in place, never copied.
 */
const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(here, "../../../../shared/fixtures/okta");
const present = existsSync(dir);
if (!present) {
  console.warn(`conformance: skipped, the shared Okta samples are not at ${dir} (as in a user's clone)`);
}
const files = present
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
  : [];

const load = (file: string): ReadonlyArray<Decided> =>
  decideBody(readFileSync(join(dir, file), "utf8"), DEFAULT_POLICY);

/** Known lifecycle samples: file → [kind, subject id, subject login]. */
const lifecycle: Record<string, readonly [string, string, string]> = {
  "okta-docs-eventhook-guide-001.json": ["deactivated", "00u3m90rxKjGQ0G6L1d6", "john.doe@example.com"],
  "okta-sdk-java-logs-001.json": ["deactivated", "00ud384zryL1GFAg30h7", "john-with-group@example.com"],
  "okta-sdk-java-logs-002.json": ["deleted", "00ud384zryL1GFAg30h7", "john-with-group@example.com"],
};

describe.skipIf(!present)("conformance with real Okta samples", () => {
  it("finds the samples", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)("%s decodes without a rejection", (file) => {
    const decided = load(file);
    expect(decided.length).toBeGreaterThan(0);
    const rejected = decided.filter((d) => d.decision._tag === "Reject");
    expect(rejected.map((d) => (d.decision._tag === "Reject" ? d.decision.error.message : ""))).toEqual([]);
  });

  it.each(Object.entries(lifecycle))("%s routes as %s", (file, [kind, subjectId, login]) => {
    const routed = load(file).flatMap((d) => (d.decision._tag === "Route" ? [d.decision.event] : []));
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatchObject({ kind, subject: { id: subjectId, login } });
  });

  it("routes no sample that is not a handled lifecycle event", () => {
    for (const file of files) {
      if (file in lifecycle) continue;
      const routed = load(file).filter((d) => d.decision._tag === "Route");
      expect(routed, file).toEqual([]);
    }
  });
});
