/**
 * The packages as a user gets them: `npm pack` of @offboard/core and @offboard/adapters, installed from
 * the tarballs into a fresh strict NodeNext project in a temp directory, with effect from the registry
 * (^4.1.0: one copy, the consumer's, since effect is a peer). The project (fixture/) is type-checked with
 * skipLibCheck false and the strict flags, run under plain node from ESM and from require(), and the
 * tarballs pass @arethetypeswrong/cli and publint. Its custom sink is docs/snippets/webhook-sink.ts,
 * the example of docs/adding-a-sink.md, copied as is.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const REPO = join(here, "../../..");
const PACKED = ["core", "adapters"] as const;
const bin = (name: string) => join(REPO, "node_modules/.bin", name);

const work = mkdtempSync(join(tmpdir(), "offboard-consumer-"));
const project = join(work, "project");
const tarballs: Record<string, string> = {};
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = async (file: string, args: ReadonlyArray<string>, cwd: string) => {
  try {
    return await run(file, [...args], { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed:\n${err.stdout ?? ""}\n${err.stderr ?? err.message}`);
  }
};
const lines = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { check: string; value: unknown })
      .map((l) => [l.check, l.value]),
  );

beforeAll(async () => {
  // dist/ is built by `npm test`'s `tsc -b`; build it here too when the test runs on its own (a no-op when fresh).
  await sh(bin("tsc"), ["-b", ...PACKED.map((p) => join(REPO, "packages", p, "tsconfig.build.json"))], REPO);
  for (const p of PACKED) {
    const { stdout } = await sh("npm", ["pack", "--json", "--pack-destination", work], join(REPO, "packages", p));
    const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
    tarballs[p] = join(work, info!.filename);
  }
  cpSync(join(here, "../fixture"), project, { recursive: true });
  cpSync(join(REPO, "docs/snippets/webhook-sink.ts"), join(project, "src/webhook-sink.ts"));
  const rootPkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: {
        "@offboard/core": `file:${tarballs.core}`,
        "@offboard/adapters": `file:${tarballs.adapters}`,
        effect: "^4.1.0",
      },
      devDependencies: { "@types/node": rootPkg.devDependencies["@types/node"] },
    }),
  );
  // No install scripts: none of these packages needs one, and a test should not run them.
  await sh(
    "npm",
    ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    project,
  );
}, 240_000);

describe("the packed packages in a fresh NodeNext project", () => {
  it("install with one copy of effect, the consumer's", async () => {
    const { stdout } = await sh("npm", ["ls", "effect", "--all", "--json"], project);
    const versions = new Set<string>();
    const walk = (deps: Record<string, { version: string; dependencies?: never }> | undefined) => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        if (name === "effect") versions.add(d.version);
        walk(d.dependencies);
      }
    };
    walk((JSON.parse(stdout) as { dependencies: never }).dependencies);
    const nested = PACKED.filter((p) => existsSync(join(project, "node_modules/@offboard", p, "node_modules/effect")));

    expect([...versions]).toHaveLength(1);
    expect(nested).toEqual([]);
  });

  it("ship dist, src, README and LICENSE, and no tests or tsconfig", () => {
    for (const p of PACKED) {
      const files = readdirSync(join(project, "node_modules/@offboard", p));
      expect(files.sort()).toEqual(["LICENSE", "README.md", "dist", "package.json", "src"]);
    }
  });

  it("do not install better-sqlite3 (an optional peer of the adapters)", () => {
    expect(existsSync(join(project, "node_modules/better-sqlite3"))).toBe(false);
  });

  it("type-check with skipLibCheck false, exactOptionalPropertyTypes and the other strict flags", async () => {
    await sh(bin("tsc"), ["-p", "tsconfig.json"], project);
    expect(existsSync(join(project, "dist/main.js"))).toBe(true);
    expect(existsSync(join(project, "dist/main-require.cjs"))).toBe(true);
  });

  it("run under plain node from ESM: the docs' webhook sink through runPipeline and through the effect API", async () => {
    const { stdout } = await sh(process.execPath, ["dist/main.js"], project);
    const out = lines(stdout);

    expect(out.classify).toEqual({ tag: "Route", kind: "deactivated", sinks: ["webhook"] });
    expect(out["classify-garbage"]).toEqual(["not-json"]);
    expect(out.runPipeline).toEqual({
      first: [["delivered", ["webhook:delivered", "audit:delivered"]]],
      repeat: [["delivered", ["webhook:duplicate", "audit:duplicate"]]],
      audit: ["grace@example.com"],
    });
    expect(out.effect).toEqual({
      outcomes: [["delivered", ["webhook:delivered", "recorder:delivered"]]],
      recorded: ["linus@example.com"],
    });
    expect(out["webhook-received"]).toEqual([
      {
        idempotencyKey: "22222222-2222-4222-8222-222222222222:webhook",
        authorization: "Bearer consumer-token",
      },
      {
        idempotencyKey: "33333333-3333-4333-8333-333333333333:webhook",
        authorization: "Bearer consumer-token",
      },
    ]);
  });

  it("run under plain node from require()", async () => {
    const { stdout } = await sh(process.execPath, ["--no-warnings", "dist/main-require.cjs"], project);

    expect(lines(stdout).require).toEqual({
      decision: ["Route", "suspended"],
      adapters: "function",
      sqliteLedger: "function",
    });
  });

  it.each(PACKED)(
    "@offboard/%s passes @arethetypeswrong/cli (ESM-only profile: require() works through require(esm))",
    async (p) => {
      // attw exits non-zero on any problem the profile does not ignore (sh then throws with its report).
      const { stdout } = await sh(bin("attw"), [tarballs[p]!, "--profile", "esm-only", "--format", "ascii"], work);
      expect(stdout).toContain(`"@offboard/${p}"\n\nnode16 (from ESM): 🟢 (ESM)\nbundler: 🟢`);
    },
  );

  it.each(PACKED)("@offboard/%s passes publint with no errors or warnings", async (p) => {
    const tarball = readFileSync(tarballs[p]!);
    const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer as ArrayBuffer }, level: "warning" });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });
});
