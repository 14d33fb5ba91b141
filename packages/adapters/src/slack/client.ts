import { LogLevel, WebClient } from "@slack/web-api";
import { Redacted } from "effect";
import type { SlackSettings } from "./settings.ts";

/**
 * The WebClient the sink uses: timeout, 429s handed back to us, quiet logs, and no retries of its own:
 * a write retried blindly after a 5xx or a timeout may post twice, so the sink retries itself, looking
 * the message up first (sink.ts).
 */
export const makeSlackClient = (settings: SlackSettings): WebClient =>
  new WebClient(Redacted.value(settings.token), {
    ...(settings.apiUrl !== undefined && { slackApiUrl: settings.apiUrl }),
    timeout: settings.timeoutMs,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
