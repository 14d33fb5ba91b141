/**
 * Part 2a: the worker Lambda bundle, built with esbuild's JS API and the options the CDK stack passes to
 * esbuild for the worker (`WORKER_BUNDLE_OPTIONS` of packages/infra/src/lambda.ts): ESM with code
 * splitting (each vendor's client is a chunk loaded when its sink first delivers), node22 target,
 * minified, external source maps without sources content, better-sqlite3 and the AWS SDK external, the
 * createRequire banner. The budget is on what the Lambda reads at import: the entry file and the chunks
 * it imports statically; the lazily loaded chunks are listed apart.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { bundleOptions, ESM_REQUIRE_SHIM, EXTERNAL_MODULES } from "@offboard/infra";
import { build, type Metafile } from "esbuild";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
/** Same as `HANDLER_ENTRIES.sqsWorker` in @offboard/infra, relative to a checkout. */
const WORKER_ENTRY_IN_REPO = "packages/handlers/src/sqs-worker.ts";
export const WORKER_ENTRY = path.join(REPO_ROOT, WORKER_ENTRY_IN_REPO);

export interface BundleResult {
  readonly entry: string;
  /** The entry file (what the Lambda handler setting names). */
  readonly file: string;
  /** Bytes read when the handler module is imported: the entry and the chunks it imports statically. */
  readonly bytes: number;
  /** Every output file (lazy chunks included), source maps excluded. */
  readonly totalBytes: number;
  readonly sourceMapBytes: number;
  /** Chunks loaded only by a dynamic import (a vendor's client on its first delivery), with their packages. */
  readonly lazyChunks: ReadonlyArray<{ readonly file: string; readonly bytes: number; readonly packages: string }>;
  /** Whether the entry is still the placeholder handler (then the cold start measures nothing real). */
  readonly placeholder: boolean;
  /** Largest inputs by bytes they contribute to what is read at import. */
  readonly largestInputs: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
  /** Bytes read at import, by npm package (workspace packages as @offboard/*). */
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

/**
 * Builds the worker bundle of the checkout at `root` (default: this one) into `outDir/<name>/`, with the
 * stack's `bundleOptions`. With `splitting: false` it builds one file, as the stack did before code
 * splitting (for comparisons with an older checkout).
 */
export const buildWorkerBundle = async (
  outDir: string,
  o: { readonly root?: string; readonly name?: string; readonly splitting?: boolean } = {},
): Promise<BundleResult> => {
  const root = o.root ?? REPO_ROOT;
  const entry = path.join(root, WORKER_ENTRY_IN_REPO);
  const dir = path.join(outDir, o.name ?? "sqs-worker");
  rmSync(dir, { recursive: true, force: true });
  const splitting = o.splitting ?? true;
  // This tree: the stack's own options. Another checkout (before code splitting): its single-file build.
  const result = await build(
    splitting
      ? { ...bundleOptions(entry, dir), absWorkingDir: root, metafile: true }
      : {
          entryPoints: { index: entry },
          outdir: dir,
          outExtension: { ".js": ".mjs" },
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
          absWorkingDir: root,
          metafile: true,
          logLevel: "error",
        },
  );
  const meta: Metafile = result.metafile;
  const outputs = Object.entries(meta.outputs).filter(([file]) => !file.endsWith(".map"));
  const entryFile = outputs.find(([, o]) => o.entryPoint !== undefined)![0];
  // What the import reads: the entry and, transitively, its static imports.
  const atImport = new Set<string>();
  const visit = (file: string) => {
    if (atImport.has(file)) return;
    atImport.add(file);
    for (const i of meta.outputs[file]?.imports ?? []) if (i.kind === "import-statement" && !i.external) visit(i.path);
  };
  visit(entryFile);
  const inputsOf = (files: Iterable<string>) => {
    const m = new Map<string, number>();
    for (const f of files) {
      for (const [input, v] of Object.entries(meta.outputs[f]?.inputs ?? {})) {
        m.set(input, (m.get(input) ?? 0) + v.bytesInOutput);
      }
    }
    return [...m.entries()].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes);
  };
  const size = (file: string) => statSync(path.join(root, file)).size;
  const bytes = [...atImport].reduce((n, f) => n + size(f), 0);
  const totalBytes = outputs.reduce((n, [f]) => n + size(f), 0);
  const inputs = inputsOf(atImport);
  const perPkg = new Map<string, number>();
  for (const i of inputs) perPkg.set(packageOf(i.input), (perPkg.get(packageOf(i.input)) ?? 0) + i.bytes);
  const lazyChunks = outputs
    .filter(([f]) => !atImport.has(f))
    .map(([f]) => {
      const pkgs = new Map<string, number>();
      for (const i of inputsOf([f])) pkgs.set(packageOf(i.input), (pkgs.get(packageOf(i.input)) ?? 0) + i.bytes);
      return {
        file: path.relative(REPO_ROOT, path.join(root, f)),
        bytes: size(f),
        packages: [...pkgs.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([p]) => p)
          .join(", "),
      };
    })
    .sort((a, b) => b.bytes - a.bytes);
  const placeholder = /placeholder/i.test(readFileSync(entry, "utf8").split("\n").slice(0, 3).join("\n"));
  const maxBytes = 750_000;
  return {
    entry: path.relative(root, entry),
    file: path.relative(REPO_ROOT, path.join(root, entryFile)),
    bytes,
    totalBytes,
    sourceMapBytes: outputs.reduce((n, [f]) => n + statSync(path.join(root, `${f}.map`)).size, 0),
    lazyChunks,
    placeholder,
    largestInputs: inputs.slice(0, 12),
    byPackage: [...perPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([pkg, b]) => ({ pkg, bytes: b, share: Math.round((b / bytes) * 1000) / 10 })),
    budget: { maxBytes, met: bytes <= maxBytes },
  };
};
