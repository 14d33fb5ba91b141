/**
 * `npm run bench:cli`: start-up time of the `offboard` command, as a user runs it (`node bin/offboard.js …`
 * in a fresh process, stdin closed), against `node -e 0` on the same machine, with the commands
 * interleaved round by round so machine load hits every side alike. Hyperfine's method in a few lines:
 * warm-up runs, then N timed runs per command, median and p90 of the wall time.
 *
 * "before" is how the command started until it was bundled: tsx registered at run time, the TypeScript
 * sources imported through it (the old bin/offboard.js, reproduced in bench/.out/).
 *
 *   npm run bench:cli                 # 25 runs per command; needs `npm run build -w @offboard/cli` first
 *   npm run bench:cli -- --runs 50
 *
 * Writes bench/.out/cli-startup.json. Not part of `npm test`: tests never assert a timing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const BENCH_DIR = import.meta.dirname;
const REPO = path.resolve(BENCH_DIR, "..");
const OUT_DIR = path.join(BENCH_DIR, ".out");
const BIN = path.join(REPO, "packages/cli/bin/offboard.js");
const BUNDLE = path.join(REPO, "packages/cli/dist/offboard.js");
const EXAMPLE = path.join(REPO, "examples/okta-events.jsonl");

const args = process.argv.slice(2);
const runsArg = args[args.indexOf("--runs") + 1];
const RUNS = args.includes("--runs") && runsArg !== undefined ? Number(runsArg) : 25;
const WARMUP = 3;

if (!existsSync(BUNDLE)) {
  process.stderr.write("bench:cli: packages/cli/dist/offboard.js is missing: run `npm run build -w @offboard/cli`\n");
  process.exit(2);
}
mkdirSync(OUT_DIR, { recursive: true });

// The bin as it was before the bundle: tsx registered at start-up, then the sources.
const tsxBin = path.join(OUT_DIR, "offboard-tsx.mjs");
writeFileSync(
  tsxBin,
  [
    'import { register } from "tsx/esm/api";',
    'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";',
    "register();",
    `const { main } = await import(${JSON.stringify(path.join(REPO, "packages/cli/src/main.ts"))});`,
    "process.exitCode = await main(process.argv);",
  ].join("\n"),
);

interface Case {
  readonly name: string;
  readonly argv: ReadonlyArray<string>;
  /** `inspect` exits 1 when the input holds a rejected line, as the example file does. */
  readonly exitCodes?: ReadonlyArray<number>;
}
const node = (...rest: ReadonlyArray<string>) => [process.execPath, ...rest];
const CASES: ReadonlyArray<Case> = [
  { name: "node -e 0 (floor)", argv: node("-e", "0") },
  { name: "offboard --version", argv: node(BIN, "--version") },
  { name: "offboard --help", argv: node(BIN, "--help") },
  { name: "offboard replay --help", argv: node(BIN, "replay", "--help") },
  { name: "offboard inspect <example> (loads the bundle)", argv: node(BIN, "inspect", EXAMPLE), exitCodes: [0, 1] },
  { name: "before: --version via tsx", argv: node("--conditions=development", tsxBin, "--version") },
  { name: "before: --help via tsx", argv: node("--conditions=development", tsxBin, "--help") },
];

const env = { ...process.env, NO_COLOR: "1" };
const once = (c: Case): number => {
  const [cmd, ...rest] = c.argv;
  const t = performance.now();
  const res = spawnSync(cmd!, rest, { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - t;
  if (!(c.exitCodes ?? [0]).includes(res.status ?? -1))
    throw new Error(`${c.name} exited ${res.status}: ${res.stderr.toString().slice(0, 500)}`);
  return ms;
};

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

for (let i = 0; i < WARMUP; i++) for (const c of CASES) once(c);
const times = new Map<string, Array<number>>(CASES.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) for (const c of CASES) times.get(c.name)!.push(once(c));

const rows = CASES.map((c) => {
  const sorted = [...times.get(c.name)!].sort((a, b) => a - b);
  return {
    name: c.name,
    medianMs: Math.round(quantile(sorted, 0.5) * 10) / 10,
    p90Ms: Math.round(quantile(sorted, 0.9) * 10) / 10,
    minMs: Math.round(sorted[0]! * 10) / 10,
  };
});
const result = {
  generatedAt: new Date().toISOString(),
  runs: RUNS,
  machine: {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    node: process.version,
    loadavg1m: Math.round(os.loadavg()[0]! * 100) / 100,
  },
  rows,
};
writeFileSync(path.join(OUT_DIR, "cli-startup.json"), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `offboard start-up, ${RUNS} runs each, Node ${process.version}, load ${result.machine.loadavg1m}\n`,
);
process.stdout.write("| command | median ms | p90 ms | min ms |\n|---|---|---|---|\n");
for (const r of rows) process.stdout.write(`| ${r.name} | ${r.medianMs} | ${r.p90Ms} | ${r.minMs} |\n`);
