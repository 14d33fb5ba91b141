import type { LogLevel, WebClient } from "@slack/web-api";
import { Redacted } from "effect";
import type { SlackSettings } from "./settings.ts";

/** The Slack client, loaded and built on first use, then kept. */
export type LazyWebClient = () => Promise<WebClient>;

/**
 * The WebClient the sink uses: timeout, 429s handed back to us, quiet logs, and no retries of its own
 * (a write retried blindly after a 5xx or a timeout may post twice: the sink retries itself, looking
 * the message up first, sink.ts).
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
        retryConfig: { retries: 0 },
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
