import { spawn, spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { main } from "../src/main.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = resolve(here, "../bin/offboard.js");
export const REPO = resolve(here, "../../..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Settings a developer may have exported; the CLI tests start from none of them. */
const SCRUB = /^(SLACK_|JIRA_|BAMBOOHR_|OKTA_|OFFBOARD_|AWS_)/;

const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUB.test(k)) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
};

const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string>; stdin?: string },
): Promise<CliResult> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });

/** Runs the real `offboard` binary as a subprocess (tsx compiles the sources: about a second each). */
export const runCliProcess = (
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> => run(process.execPath, [BIN, ...args], options);

/** One in-process run at a time: `runCli` swaps process-wide state (env, cwd, stdio). */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `offboard` in this process through its `main(argv)`, as the binary does, with the environment,
 * working directory and standard input of a fresh process, capturing what it writes to stdout and
 * stderr. Much faster than a subprocess; `runCliProcess` covers the binary itself.
 */
export const runCli = (
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> => {
  const next = queue.then(() => runInProcess(args, options));
  queue = next.catch(() => undefined);
  return next;
};

const runInProcess = async (
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string>; stdin?: string },
): Promise<CliResult> => {
  const savedEnv = process.env;
  const savedCwd = process.cwd();
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, "stdin");
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const listeners = process.stdout.listeners("error");
  let stdout = "";
  let stderr = "";
  const capture =
    (append: (s: string) => void) =>
    (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    };
  try {
    process.env = cleanEnv(options.env);
    process.chdir(options.cwd ?? REPO);
    Object.defineProperty(process, "stdin", {
      value: Readable.from([Buffer.from(options.stdin ?? "")]),
      configurable: true,
    });
    process.stdout.write = capture((s) => {
      stdout += s;
    }) as typeof process.stdout.write;
    process.stderr.write = capture((s) => {
      stderr += s;
    }) as typeof process.stderr.write;
    const code = await main(["node", BIN, ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    if (stdinDescriptor !== undefined) Object.defineProperty(process, "stdin", stdinDescriptor);
    for (const l of process.stdout.listeners("error")) {
      if (!listeners.includes(l)) process.stdout.off("error", l as (...a: Array<unknown>) => void);
    }
    process.chdir(savedCwd);
    process.env = savedEnv;
    process.exitCode = undefined;
  }
};

/**
 * util-linux `script`, which runs a command on a pseudo-terminal: how the tests give `offboard` a
 * terminal as standard input. Absent on macOS (BSD `script`) and minimal images.
 */
export const hasScript = ((): boolean => {
  const r = spawnSync("script", ["--version"], { encoding: "utf8" });
  return r.status === 0 && `${r.stdout}${r.stderr}`.includes("util-linux");
})();

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs the real `offboard` binary with a terminal as its standard input (through `script`). `typed` is
 * what the user types; end it with "\u0004" (Ctrl-D) to end the input. The terminal carries stdout and
 * stderr together (in `stdout`, with \r\n turned back into \n) and echoes what was typed.
 */
export const runCliOnTerminal = async (
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; typed: string },
): Promise<CliResult> => {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  const r = await run("script", ["-q", "-e", "-c", command, "/dev/null"], {
    ...(options.env !== undefined && { env: options.env }),
    stdin: options.typed,
  });
  return { ...r, stdout: r.stdout.replaceAll("\r\n", "\n") };
};

/** Parses stdout's JSON lines. */
export const jsonLines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
