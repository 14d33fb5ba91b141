/**
 * The `offboard` command as a library: `main(argv)` runs it and resolves to its exit code (see
 * docs/cli.md); `buildProgram()` is its commander program. bin/offboard.js is the executable.
 */
export { buildProgram, main } from "./main.ts";
