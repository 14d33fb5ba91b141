/**
 * The CDK app (bin/app.ts) as `cdk synth` runs it: a configuration that would send the Okta admin token
 * somewhere it must not go stops the synth with one clear message and exit code 1, never a stack trace.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const INFRA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX = path.resolve(INFRA, "../../node_modules/tsx/dist/cli.mjs");
const outdir = mkdtempSync(path.join(tmpdir(), "offboard-app-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const BASE = {
  secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf",
  oktaAdminSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl",
  account: "123456789012",
  region: "us-east-1",
  // Template only: no esbuild run.
  "aws:cdk:bundling-stacks": [],
};

/** Runs bin/app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
const synth = (context: Record<string, unknown>): Promise<{ status: number; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, "bin/app.ts"], {
      cwd: INFRA,
      env: {
        PATH: process.env.PATH ?? "",
        CDK_CONTEXT_JSON: JSON.stringify({ ...BASE, ...context }),
        CDK_OUTDIR: outdir,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stderr }));
  });

// A synth in a child process takes 10-20 s alone and minutes on a loaded two-core machine.
describe("bin/app.ts", { timeout: 240_000 }, () => {
  it.each([
    ["plain http", "http://acme.okta.com", "must be https"],
    ["a host that is not an Okta org domain", "https://okta.attacker.example", "is not an Okta org domain"],
  ])("stops with exit code 1 and the reason for %s", async (_name, oktaOrgUrl, reason) => {
    const run = await synth({ oktaOrgUrl });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(reason);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("synthesizes an Okta org URL on an Okta domain", async () => {
    const run = await synth({ oktaOrgUrl: "https://acme.okta.com" });

    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
