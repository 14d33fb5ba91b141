import { Data } from "effect";

/**
 * The adapters' named errors. Sink failures use the core's `SinkError` (classified transient /
 * permanent) and HR lookups the core's `HrisError`; the errors here are about building the adapters.
 */

/**
 * The configuration is missing or invalid, or the Secrets Manager secret could not be read. `problems`
 * lists every offending key, one sentence each; `message` joins them. Never carries a secret value.
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly message: string;
  /** One sentence per missing or invalid key, e.g. "SLACK_CHANNEL_ID is required when SLACK_BOT_TOKEN is set". */
  readonly problems: ReadonlyArray<string>;
  readonly cause?: unknown;
}> {
  /** One error for a list of problems: "invalid configuration: A; B". */
  static of(problems: ReadonlyArray<string>, cause?: unknown): ConfigError {
    const message =
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration:\n- ${problems.join("\n- ")}`;
    return new ConfigError(cause === undefined ? { message, problems } : { message, problems, cause });
  }
}
