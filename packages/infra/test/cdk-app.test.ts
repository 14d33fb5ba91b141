import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The CDK app as `npm run synth` and `cdk deploy` run it: cdk.json configures every feature flag (so
 * the CLI prints no "feature flags are not configured" notice), and a synth with example values says
 * that they are not for deployment.
 */
const INFRA = fileURLToPath(new URL("..", import.meta.url));
const CDK_JSON = JSON.parse(readFileSync(join(INFRA, "cdk.json"), "utf8")) as { context: Record<string, unknown> };
const RECOMMENDED = createRequire(import.meta.url)("aws-cdk-lib/recommended-feature-flags.json") as Record<
  string,
  unknown
>;

/** Runs bin/app.ts as the CDK CLI does (context in CDK_CONTEXT_JSON), without bundling the Lambdas. */
const runApp = (context: Record<string, unknown>): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", "bin/app.ts"], {
      cwd: INFRA,
      env: {
        PATH: process.env.PATH ?? "",
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), "offboard-cdk-")),
        CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON.context, "aws:cdk:bundling-stacks": [], ...context }),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });

describe("cdk.json", () => {
  it("configures every feature flag aws-cdk-lib recommends, with the recommended value", () => {
    const unset = Object.keys(RECOMMENDED).filter((flag) => !(flag in CDK_JSON.context));
    expect(unset).toEqual([]);
    const differing = Object.entries(RECOMMENDED).filter(
      ([flag, value]) => JSON.stringify(CDK_JSON.context[flag]) !== JSON.stringify(value),
    );
    expect(differing).toEqual([]);
  });
});

// A synth in a child process (tsx, aws-cdk-lib, the whole stack) takes 10-20 s alone and minutes on a
// loaded two-core machine: these two get a generous timeout.
describe("the CDK app", { timeout: 240_000 }, () => {
  it("says, after synthesizing with example values, that they are not for deployment", async () => {
    const r = await runApp({ "offboard:example": "true" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("synthesized with EXAMPLE values");
    expect(r.stderr).toContain("not for deployment");
  });

  it("names the missing settings, and says nothing of examples, without offboard:example", async () => {
    const r = await runApp({});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("offboard configuration is incomplete");
    expect(r.stderr).not.toContain("EXAMPLE");
  });
});
