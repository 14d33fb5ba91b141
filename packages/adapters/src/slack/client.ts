import { LogLevel, type RetryOptions, WebClient } from "@slack/web-api";
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

/** The WebClient the sink uses: bounded retries and timeout, 429s handed back to us, quiet logs. */
export const makeSlackClient = (settings: SlackSettings): WebClient =>
  new WebClient(Redacted.value(settings.token), {
    ...(settings.apiUrl !== undefined && { slackApiUrl: settings.apiUrl }),
    timeout: settings.timeoutMs,
    retryConfig: slackRetryConfig(settings),
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
