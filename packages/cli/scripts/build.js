#!/usr/bin/env node
/**
 * Builds the `offboard` binary: esbuild bundles src/main.ts and everything it imports (the workspace
 * packages from their TypeScript sources, through the `development` export condition, and every npm
 * dependency but the native better-sqlite3) into one ES module, dist/offboard.js. No TypeScript loader
 * runs when the command starts.
 *
 * It then records what `offboard --version` and every `offboard [command…] --help` print, by running the
 * bundle's own commander program, into dist/help.json: bin/offboard.js answers those from the file
 * without loading the bundle (a few MB of JavaScript), so they start as fast as node itself.
 *
 *   node scripts/build.js                         # dist/offboard.js + dist/help.json
 *   node scripts/build.js --worker                # also dist/worker/: the standalone worker folder for containers
 *   node scripts/build.js --worker-only [--out D] # only the worker folder, from the built bundle, into D
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const dist = join(pkgDir, "dist");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));

/** Bundled CommonJS dependencies call require() and use __dirname: give the ES module both. */
const BANNER = [
  "import { createRequire as __offboardCreateRequire } from 'node:module';",
  "import { fileURLToPath as __offboardFileURLToPath } from 'node:url';",
  "const require = __offboardCreateRequire(import.meta.url);",
  "const __filename = __offboardFileURLToPath(import.meta.url);",
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(" ");

/** The one module left outside the bundle: native code, loaded only by the SQLite ledger. */
export const EXTERNAL = ["better-sqlite3"];

const bundle = async (outfile) => {
  const result = await build({
    entryPoints: [join(pkgDir, "src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    conditions: ["development"],
    mainFields: ["module", "main"],
    external: EXTERNAL,
    banner: { js: BANNER },
    minify: true,
    keepNames: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
};

/** Every command path of a commander program: [], ["inspect"], ["ledger"], ["ledger", "create-table"], … */
const commandPaths = (command, prefix = []) => [
  prefix,
  ...command.commands.flatMap((c) => commandPaths(c, [...prefix, c.name()])),
];

/** What the bundle's program prints for `offboard <path…> --help`, captured without a subprocess. */
const captureHelp = async (buildProgram, path) => {
  let out = "";
  const program = buildProgram();
  const capture = (c) => {
    // The width commander uses when stdout is not a terminal, whatever terminal the build runs in.
    c.configureOutput({
      writeOut: (s) => (out += s),
      writeErr: (s) => (out += s),
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
    });
    c.exitOverride();
    for (const sub of c.commands) capture(sub);
  };
  capture(program);
  try {
    await program.parseAsync(["node", "offboard", ...path, "--help"]);
  } catch (e) {
    if (e?.code !== "commander.helpDisplayed") throw e;
  }
  return out;
};

const argValue = (flag) => {
  const i = process.argv.indexOf(flag);
  return i === -1 ? undefined : process.argv[i + 1];
};

const main = async () => {
  if (process.argv.includes("--worker-only")) {
    packageWorker(argValue("--out") ?? join(dist, "worker"));
    return;
  }
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const outfile = join(dist, "offboard.js");
  await bundle(outfile);

  const { buildProgram } = await import(pathToFileURL(outfile).href);
  const program = buildProgram();
  const help = {};
  for (const path of commandPaths(program)) help[path.join(" ")] = await captureHelp(buildProgram, path);
  writeFileSync(join(dist, "help.json"), `${JSON.stringify({ version: program.version(), help }, null, 1)}\n`);

  if (process.argv.includes("--worker")) packageWorker(join(dist, "worker"));
};

/**
 * dist/worker/: the bundle, its help file, a launcher, a package.json, and better-sqlite3 (the one native
 * dependency, with its two small runtime dependencies) copied from this install. Copy the folder into a
 * container built for the same platform and run `node bin/offboard.js worker …`.
 */
const packageWorker = (out) => {
  if (!existsSync(join(dist, "offboard.js"))) {
    process.stderr.write("offboard: dist/offboard.js is missing: run `npm run build -w @offboard/cli` first\n");
    process.exit(2);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "dist"), { recursive: true });
  for (const f of ["offboard.js", "offboard.js.map", "help.json", "offboard.js.LEGAL.txt"]) {
    try {
      cpSync(join(dist, f), join(out, "dist", f));
    } catch (e) {
      if (e.code !== "ENOENT") throw e;
    }
  }
  // The launcher imports ../dist/offboard.js relative to bin/: the same layout as the package.
  mkdirSync(join(out, "bin"), { recursive: true });
  cpSync(join(pkgDir, "bin/offboard.js"), join(out, "bin/offboard.js"));
  const require = createRequire(join(pkgDir, "package.json"));
  const copied = {};
  for (const name of ["better-sqlite3", "bindings", "file-uri-to-path"]) {
    const manifest = require.resolve(`${name}/package.json`, {
      paths: [pkgDir, dirname(require.resolve("better-sqlite3/package.json"))],
    });
    const from = dirname(manifest);
    const to = join(out, "node_modules", name);
    cpSync(from, to, {
      recursive: true,
      // Only what runs: the JavaScript and the compiled addon; no C sources, objects or test addons.
      filter: (src) => {
        const rel = src.slice(from.length).replaceAll("\\", "/");
        if (!rel.startsWith("/build")) return !/^\/(deps|src)(\/|$)/.test(rel);
        return ["/build", "/build/Release", "/build/Release/better_sqlite3.node"].includes(rel);
      },
    });
    copied[name] = JSON.parse(readFileSync(manifest, "utf8")).version;
  }
  writeFileSync(
    join(out, "package.json"),
    `${JSON.stringify(
      {
        name: "offboard-worker",
        private: true,
        type: "module",
        description: "The offboard CLI bundle, for running `offboard worker` in a container",
        bin: { offboard: "./bin/offboard.js" },
        engines: pkg.engines,
        dependencies: { "better-sqlite3": copied["better-sqlite3"] },
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(
    `offboard: worker package in ${out} (run: node ${join(out, "bin/offboard.js")} worker --help)\n`,
  );
};

await main();
