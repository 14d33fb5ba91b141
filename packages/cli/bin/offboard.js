#!/usr/bin/env node
// The `offboard` command. The CLI is bundled into ../dist/offboard.js at build time (`npm run build`;
// the repository's `prepare` script does it on `npm ci`): no TypeScript loader runs here.
// `--version` and `[command…] --help` are answered from ../dist/help.json, recorded from the same
// bundle at build time, so they never load the few MB of the full program. See docs/cli.md.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const HELP_FLAGS = new Set(["--help", "-h"]);

/** The recorded answer for `--version` or `<command path> --help`, or undefined to run the program. */
const recorded = () => {
  const last = args.at(-1);
  if (args.length !== 1 || (last !== "--version" && last !== "-V")) {
    if (last === undefined || !HELP_FLAGS.has(last)) return undefined;
  }
  let file;
  try {
    file = JSON.parse(readFileSync(new URL("../dist/help.json", import.meta.url), "utf8"));
  } catch {
    return undefined;
  }
  if (!HELP_FLAGS.has(last)) return `${file.version}\n`;
  return file.help[args.slice(0, -1).join(" ")];
};

const fast = recorded();
if (fast !== undefined) {
  process.stdout.write(fast);
} else {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let cli;
  try {
    cli = await import("../dist/offboard.js");
  } catch (e) {
    if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("dist/offboard.js")) throw e;
    process.stderr.write(
      "offboard: the command is not built (dist/offboard.js is missing): run `npm run build -w @offboard/cli`\n",
    );
    process.exit(2);
  }
  process.exitCode = await cli.main(process.argv);
}
