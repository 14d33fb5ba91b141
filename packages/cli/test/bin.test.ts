/**
 * bin/offboard.js answers `--version` and `[command…] --help` from dist/help.json, recorded at build time,
 * without loading the bundle. These tests hold it to the program itself: for every command, what the
 * binary prints is exactly what the commander program built from the sources prints.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../src/main.ts";
import { REPO, runCli } from "./run-cli.ts";

const pathsOf = (command: Command, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> => [
  prefix,
  ...command.commands.flatMap((c) => pathsOf(c, [...prefix, c.name()])),
];

/** What the program built from the sources prints for `offboard <path…> --help` when stdout is not a terminal. */
const programHelp = async (path: ReadonlyArray<string>): Promise<string> => {
  let out = "";
  const program = buildProgram();
  const capture = (c: Command) => {
    c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s), getOutHelpWidth: () => 80 });
    c.exitOverride();
    for (const sub of c.commands) capture(sub);
  };
  capture(program);
  await program.parseAsync(["node", "offboard", ...path, "--help"]).catch((e: { code?: string }) => {
    if (e.code !== "commander.helpDisplayed") throw e;
  });
  return out;
};

const PATHS = pathsOf(buildProgram());

describe("the offboard binary's recorded answers", () => {
  it("covers every command", () => {
    const recorded = JSON.parse(readFileSync(resolve(REPO, "packages/cli/dist/help.json"), "utf8")) as {
      help: Record<string, string>;
    };
    expect(Object.keys(recorded.help).sort()).toEqual(PATHS.map((p) => p.join(" ")).sort());
  });

  it.each(PATHS.map((p) => [p.join(" ") || "(top level)", p] as const))(
    "prints the program's own help for %s --help",
    async (_name, path) => {
      const result = await runCli([...path, "--help"]);
      expect(result).toEqual({ code: 0, stdout: await programHelp(path), stderr: "" });
    },
  );

  it("prints the program's version for --version and -V", async () => {
    const version = buildProgram().version();
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(await runCli(["-V"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints the package's version", () => {
    const pkg = JSON.parse(readFileSync(resolve(REPO, "packages/cli/package.json"), "utf8")) as { version: string };
    expect(buildProgram().version()).toBe(pkg.version);
  });
});
