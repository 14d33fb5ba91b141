/**
 * All cdk-nag acknowledgements live in src/nag-suppressions.ts, and each carries a real reason.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { synthStack } from "./stack.fixtures.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sourceFiles = (dir: string): Array<string> =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );

const acknowledgements = (scope: IConstruct): Array<{ path: string; id: string; reason: string }> =>
  [scope, ...scope.node.findAll()].flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason })),
      ),
  );

describe("cdk-nag acknowledgements", () => {
  it("are all made in src/nag-suppressions.ts", () => {
    const callers = [...sourceFiles("src"), ...sourceFiles("bin")].filter((f) =>
      readFileSync(path.join(ROOT, f), "utf8").includes(".acknowledge("),
    );

    expect(callers).toEqual([path.join("src", "nag-suppressions.ts")]);
  });

  it("each carry a reason of at least one sentence", () => {
    const { app } = synthStack({ queueEncryption: "KMS" }, { bundle: false });
    const acks = acknowledgements(app);

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThan(60);
  });
});
