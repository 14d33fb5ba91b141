import { type AppConfig, loadConfig } from "@offboard/adapters";
import { DEFAULT_POLICY } from "@offboard/core";
import { Command, CommanderError } from "commander";
import { Effect } from "effect";
import { registerHook } from "./commands/hook.ts";
import { registerInspect } from "./commands/inspect.ts";
import { registerPoll } from "./commands/poll.ts";
import { registerReconcile } from "./commands/reconcile.ts";
import { registerReplay } from "./commands/replay.ts";
import { registerState } from "./commands/state.ts";
import { registerLedger, registerWorker } from "./commands/worker.ts";
import { UsageError } from "./io.ts";

/** Loads the configuration from the environment (and OFFBOARD_SECRET_ARN), or throws its one clear error. */
const config = async (): Promise<AppConfig> => {
  const result = await Effect.runPromise(Effect.result(loadConfig()));
  if (result._tag === "Failure") throw new UsageError(result.failure.message);
  return result.success;
};

export const buildProgram = (): Command => {
  const program = new Command("offboard")
    .description("Okta lifecycle events to Slack alerts, Jira tickets and HRIS cross-checks, exactly once")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  registerInspect(program, async () => {
    try {
      return (await config()).policy;
    } catch (e) {
      process.stderr.write(`offboard: configuration ignored for inspect (${(e as Error).message}); default policy\n`);
      return DEFAULT_POLICY;
    }
  });
  registerReplay(program, config);
  registerPoll(program, config);
  registerReconcile(program, config);
  registerHook(program, config);
  registerWorker(program);
  registerLedger(program);
  registerState(program);
  return program;
};

/** Runs the CLI; resolves to the exit code (0 ok, 1 something rejected or failed, 2 usage or config error). */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  process.exitCode = 0;
  // `offboard inspect | head` closes the pipe early: that is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`offboard: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`offboard: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
};
