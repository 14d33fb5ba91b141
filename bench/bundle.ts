/**
 * Part 2a: the worker Lambda bundle, built with esbuild's JS API and the options the CDK stack passes to
 * esbuild for the worker (packages/infra/src/lambda.ts `OffboardFunction`): ESM, node22 target, minified,
 * external source map without sources content, better-sqlite3 external, the createRequire banner.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { ESM_REQUIRE_SHIM, EXTERNAL_MODULES } from "@offboard/infra";
import { build, type Metafile } from "esbuild";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
/** Same as `HANDLER_ENTRIES.sqsWorker` in @offboard/infra. */
export const WORKER_ENTRY = path.join(REPO_ROOT, "packages/handlers/src/sqs-worker.ts");

export interface BundleResult {
  readonly entry: string;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Whether the entry is still the placeholder handler (then the cold start measures nothing real). */
  readonly placeholder: boolean;
  /** Largest inputs by bytes they contribute to the minified output. */
  readonly largestInputs: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
  /** Output bytes by npm package (workspace packages as @offboard/*). */
  readonly byPackage: ReadonlyArray<{ readonly pkg: string; readonly bytes: number; readonly share: number }>;
  readonly budget: { readonly maxBytes: number; readonly met: boolean };
}

const packageOf = (input: string): string => {
  const nm = input.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = input.slice(nm + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const ws = /^packages\/([^/]+)\//.exec(input);
  return ws !== null ? `@offboard/${ws[1]}` : input;
};

export const buildWorkerBundle = async (outDir: string): Promise<BundleResult> => {
  const outfile = path.join(outDir, "sqs-worker", "index.mjs");
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    mainFields: ["module", "main"],
    conditions: ["development"],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: EXTERNAL_MODULES,
    banner: { js: ESM_REQUIRE_SHIM },
    absWorkingDir: REPO_ROOT,
    metafile: true,
    logLevel: "error",
  });
  const meta: Metafile = result.metafile;
  const output = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined)!;
  const inputs = Object.entries(output.inputs)
    .map(([input, v]) => ({ input, bytes: v.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const bytes = statSync(outfile).size;
  const perPkg = new Map<string, number>();
  for (const i of inputs) perPkg.set(packageOf(i.input), (perPkg.get(packageOf(i.input)) ?? 0) + i.bytes);
  const { readFileSync } = await import("node:fs");
  const placeholder = /placeholder/i.test(readFileSync(WORKER_ENTRY, "utf8").split("\n").slice(0, 3).join("\n"));
  return {
    entry: path.relative(REPO_ROOT, WORKER_ENTRY),
    file: path.relative(REPO_ROOT, outfile),
    bytes,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    placeholder,
    largestInputs: inputs.slice(0, 12),
    byPackage: [...perPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([pkg, b]) => ({ pkg, bytes: b, share: Math.round((b / bytes) * 1000) / 10 })),
    budget: { maxBytes: 1_500_000, met: bytes < 1_500_000 },
  };
};
