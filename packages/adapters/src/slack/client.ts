import type { LogLevel, RetryOptions, WebClient } from "@slack/web-api";
import { Redacted } from "effect";
import type { SlackSettings } from "./settings.ts";

/** The delay schedule of the bounded retries inside one attempt (5xx and network errors only). */
export const slackRetryConfig = (settings: Pick<SlackSettings, "maxRetries" | "timeoutMs">): RetryOptions => ({
  retries: Math.max(0, settings.maxRetries),
  factor: 2,
  minTimeout: 100,
  maxTimeout: 1_000,
  randomize: false,
  // Start no new try once one timeout's worth of time has passed: a slow Slack costs about two
  // timeouts per call, not `maxRetries + 1` of them.
  maxRetryTime: settings.timeoutMs,
});

/** The Slack client, loaded and built on first use, then kept. */
export type LazyWebClient = () => Promise<WebClient>;

/**
 * The WebClient the sink uses: bounded retries and timeout, 429s handed back to us, quiet logs.
 * @slack/web-api is imported on the first call (a dynamic import: its own chunk in the Lambda bundle),
 * so a cold start that delivers nothing to Slack never loads it.
 */
export const makeSlackClient = (settings: SlackSettings): LazyWebClient => {
  let client: Promise<WebClient> | undefined;
  return () => {
    client ??= import("@slack/web-api").then((loaded) => {
      // A CommonJS package: Node's import gives its named exports, an esbuild chunk only `default`.
      const { WebClient } = loaded.WebClient !== undefined ? loaded : loaded.default;
      return new WebClient(Redacted.value(settings.token), {
        ...(settings.apiUrl !== undefined && { slackApiUrl: settings.apiUrl }),
        timeout: settings.timeoutMs,
        retryConfig: slackRetryConfig(settings),
        rejectRateLimitedCalls: true,
        // LogLevel.ERROR, spelled out (the enum is one more export to fetch from the module).
        logLevel: "error" as LogLevel,
      });
    });
    // A failed import is tried again on the next call.
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
};
