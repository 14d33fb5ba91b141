/**
 * Supply chain: the Lambda bundles contain exactly what package-lock.json records, built by the esbuild
 * version infra pins; the docs never tell anyone to fetch an unscoped name from the registry; and
 * `npm run audit` checks the production dependencies.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { build, version as esbuildVersion } from "esbuild";
import { describe, expect, it } from "vitest";
import { bundleOptions, ESBUILD_VERSION, HANDLER_ENTRIES, installedEsbuildVersion, REPO_ROOT } from "../src/lambda.ts";
import { synthStack } from "./stack.fixtures.ts";

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

const lock = readJson<{ packages: Record<string, { version?: string; integrity?: string; link?: boolean }> }>(
  path.join(REPO_ROOT, "package-lock.json"),
);

/** `node_modules/a/node_modules/@b/c` for a file inside that installed package. */
const lockKeyOf = (file: string): string | undefined => {
  const parts = file.split(path.sep);
  const first = parts.indexOf("node_modules");
  if (first < 0) return undefined;
  const key: Array<string> = [];
  let i = first;
  while (parts[i] === "node_modules") {
    const scoped = parts[i + 1]?.startsWith("@") === true;
    const width = scoped ? 2 : 1;
    key.push("node_modules", ...parts.slice(i + 1, i + 1 + width));
    i += 1 + width;
  }
  return key.join("/");
};

describe("Lambda bundles", () => {
  const s = synthStack({}, { bundle: false });

  it.each([
    ["worker", HANDLER_ENTRIES.sqsWorker],
    ["log-stream handler", HANDLER_ENTRIES.logStream],
  ])(
    "the %s bundles only packages at the version package-lock.json records, with their integrity",
    async (_name, entry) => {
      // The stack's own esbuild options, with a metafile: the exact list of input files.
      const result = await build({
        ...bundleOptions(entry, path.join(REPO_ROOT, "node_modules/.cache/offboard-supply-chain")),
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const packages = [
        ...new Set(
          Object.keys(result.metafile.inputs)
            .map((f) => lockKeyOf(path.resolve(REPO_ROOT, f)))
            .filter((k) => k !== undefined),
        ),
      ];
      const problems = packages.flatMap((key) => {
        const locked = lock.packages[key];
        if (locked?.version === undefined || locked.integrity === undefined)
          return [`${key}: not in package-lock.json`];
        const installed = readJson<{ version: string }>(path.join(REPO_ROOT, key, "package.json")).version;
        return installed === locked.version ? [] : [`${key}: ${installed} installed, ${locked.version} locked`];
      });

      expect(packages).toContain("node_modules/effect");
      expect(problems).toEqual([]);
    },
  );

  it("are built by the exact esbuild version infra pins, which is the one installed and locked", () => {
    const rootPin = readJson<{ devDependencies: Record<string, string> }>(path.join(REPO_ROOT, "package.json"))
      .devDependencies.esbuild;

    expect(ESBUILD_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installedEsbuildVersion()).toBe(ESBUILD_VERSION);
    expect(esbuildVersion).toBe(ESBUILD_VERSION);
    expect(lock.packages["node_modules/esbuild"]?.version).toBe(ESBUILD_VERSION);
    if (rootPin !== undefined) expect(rootPin).toBe(ESBUILD_VERSION);
    // The stack synthesizes with it (a different esbuild would stop the synth).
    expect(s.stack.worker.lambda.function).toBeDefined();
  });
});

/** Markdown the project ships: docs/ and every README. */
const markdownFiles = (): Array<string> => {
  const docs = readdirSync(path.join(REPO_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join("docs", f));
  const readmes = readdirSync(path.join(REPO_ROOT, "packages")).map((p) => path.join("packages", p, "README.md"));
  return ["README.md", ...docs, ...readmes].filter((f) => {
    try {
      readFileSync(path.join(REPO_ROOT, f));
      return true;
    } catch {
      return false;
    }
  });
};

/**
 * Commands that would download a package by an unscoped name when it is not installed: `npx name`,
 * `npm exec name`, `npm install name`, `npm i -g name`, `pnpm dlx`, `yarn dlx`, `bunx`. A name that is
 * not one of the project's locked dependencies is someone else's package (`npx offboard`, `npx cdk`,
 * `npx tsc` all name other people's packages) and would run their code with the reader's credentials.
 * Fine: `npx --no-install`, scoped names (`@offboard/cli`), and installing a package the lock file pins
 * (`npm install better-sqlite3`).
 */
const FETCHING =
  /\b(?:npx|npm exec|npm (?:install|i|add)(?: -[gD]| --global| --save-dev)*|pnpm dlx|yarn dlx|bunx)\s+([^\s`'"|;&)]+)/g;

describe("docs", () => {
  it("never suggest fetching an unscoped package name from the registry", () => {
    const findings = markdownFiles().flatMap((file) =>
      [...readFileSync(path.join(REPO_ROOT, file), "utf8").matchAll(FETCHING)]
        .filter(([, name]) => name !== undefined && !name.startsWith("@") && !name.startsWith("-"))
        .filter(([, name]) => lock.packages[`node_modules/${name}`] === undefined)
        // A warning against the command ("never the unscoped `npx offboard`") is not a suggestion.
        .filter((m) => !/\b(never|not)\b[^.]*$/i.test(m.input.slice(Math.max(0, m.index - 60), m.index)))
        .map(([command]) => `${file}: ${command}`),
    );

    expect(findings).toEqual([]);
  });
});

describe("npm run audit", () => {
  it("audits the production dependencies only", () => {
    const scripts = readJson<{ scripts: Record<string, string> }>(path.join(REPO_ROOT, "package.json")).scripts;

    expect(scripts.audit).toBe("npm audit --omit=dev");
  });
});
