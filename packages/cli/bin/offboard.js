#!/usr/bin/env node
// The `offboard` command. Runs the TypeScript sources directly through tsx (no build step in the
// workspace); see docs/cli.md.
import { register } from "tsx/esm/api";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv);
