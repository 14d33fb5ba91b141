import { createLedgerTable, describeConfig, loadConfig } from "@offboard/adapters";
import { runWorker } from "@offboard/handlers";
import { type Command, InvalidArgumentError } from "commander";
import { Effect } from "effect";
import { UsageError } from "../io.ts";
import { preparePrivateStateDir } from "../state.ts";

/**
 * `offboard worker`: the self-hosted SQS worker (a container's entry point, and the driver of the
 * end-to-end tests). `offboard ledger create-table`: the DynamoDB ledger table for it.
 */

const wholeNumber =
  (name: string, min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };

const httpUrl =
  (name: string) =>
  (value: string): string => {
    try {
      const u = new URL(value);
      if (u.protocol === "https:" || u.protocol === "http:") return value;
    } catch {
      // fall through
    }
    throw new InvalidArgumentError(
      `${name} must be a queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/offboard-events`,
    );
  };

interface WorkerFlags {
  readonly queueUrl: string;
  readonly dlqUrl?: string;
  readonly pollers: number;
  readonly waitSeconds: number;
  readonly batchSize: number;
  readonly visibilityTimeout?: number;
}

const say = (line: string) => process.stderr.write(`offboard worker: ${line}\n`);

export const registerWorker = (program: Command): void => {
  program
    .command("worker")
    .description(
      "Long-poll an SQS queue and process its Okta events as the Lambda does (batches of up to 10, failed records left for redelivery). Stops cleanly on SIGTERM/SIGINT after the batch in hand.",
    )
    .requiredOption("--queue-url <url>", "the SQS queue the EventBridge rule feeds", httpUrl("--queue-url"))
    .option(
      "--dlq-url <url>",
      "where rejected records go, with their reason (default OFFBOARD_DLQ_URL)",
      httpUrl("--dlq-url"),
    )
    .option("--pollers <n>", "batches polled and processed at once", wholeNumber("--pollers", 1, 32), 1)
    .option("--wait-seconds <n>", "long-poll wait per receive", wholeNumber("--wait-seconds", 0, 20), 20)
    .option("--batch-size <n>", "messages per batch", wholeNumber("--batch-size", 1, 10), 10)
    .option(
      "--visibility-timeout <seconds>",
      "how long a received message stays hidden before it is redelivered (default: the queue's)",
      wholeNumber("--visibility-timeout", 0, 43_200),
    )
    .addHelpText(
      "after",
      "\nAWS endpoint, region and credentials come from the SDK's standard chain (AWS_ENDPOINT_URL, AWS_REGION, …).\nThe ledger is DynamoDB when OFFBOARD_LEDGER_TABLE is set (create it with `offboard ledger create-table`),\nSQLite under OFFBOARD_STATE_DIR (default .offboard/) otherwise. See docs/configuration.md.",
    )
    .action(async (flags: WorkerFlags) => {
      // Fail fast, with the one clear message, on a bad configuration.
      const config = await Effect.runPromise(Effect.result(loadConfig()));
      if (config._tag === "Failure") throw new UsageError(config.failure.message);
      const dlqUrl = flags.dlqUrl ?? config.success.dlqUrl;
      // The SQLite ledger holds personal data: the state directory 0700, its files 0600.
      if (config.success.ledgerTable === undefined) preparePrivateStateDir(config.success.stateDir);
      for (const line of describeConfig(config.success)) say(line);
      say(`queue: ${flags.queueUrl}`);
      say(`dlq: ${dlqUrl ?? "none: rejected records stay on the queue until its redrive policy moves them"}`);

      const controller = new AbortController();
      let signals = 0;
      const stop = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          say(`${signal} again: exiting now; messages in hand reappear after the visibility timeout`);
          process.exit(130);
        }
        say(`${signal}: finishing the batch in hand, then stopping`);
        controller.abort();
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      try {
        const stats = await runWorker({
          queueUrl: flags.queueUrl,
          ...(dlqUrl !== undefined && { dlqUrl }),
          signal: controller.signal,
          pollers: flags.pollers,
          waitTimeSeconds: flags.waitSeconds,
          batchSize: flags.batchSize,
          ...(flags.visibilityTimeout !== undefined && { visibilityTimeoutSeconds: flags.visibilityTimeout }),
          onError: (error) =>
            say(`problem (nothing is lost; retrying): ${error instanceof Error ? error.message : String(error)}`),
        });
        say(
          `stopped after ${stats.batches} batches: ${stats.received} received, ${stats.deleted} settled and deleted, ${stats.failed} left for redelivery`,
        );
      } catch (e) {
        if ((e as { _tag?: unknown })._tag === "WorkerError") throw new UsageError((e as Error).message);
        throw e;
      } finally {
        process.off("SIGTERM", stop);
        process.off("SIGINT", stop);
      }
    });
};

export const registerLedger = (program: Command): void => {
  const ledger = program.command("ledger").description("Manage the delivery ledger");
  ledger
    .command("create-table")
    .description(
      "Create the DynamoDB ledger table (pk/sk strings, on-demand, TTL on expiresAt), as the CDK stack does. Does nothing if it exists.",
    )
    .option("--table <name>", "table name (default OFFBOARD_LEDGER_TABLE)")
    .action(async (flags: { readonly table?: string }) => {
      const table = flags.table ?? process.env.OFFBOARD_LEDGER_TABLE?.trim();
      if (table === undefined || table.length === 0) {
        throw new UsageError("name the table with --table or OFFBOARD_LEDGER_TABLE");
      }
      const result = await Effect.runPromise(Effect.result(createLedgerTable(undefined, table)));
      if (result._tag === "Failure") throw new Error(result.failure.message);
      process.stdout.write(
        result.success.created ? `created DynamoDB table ${table}\n` : `DynamoDB table ${table} already exists\n`,
      );
    });
};
