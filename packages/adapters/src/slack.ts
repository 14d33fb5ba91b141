import type { DeliveryContext, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import { SinkError } from "@offboard/core";
import type { RetryOptions, WebClient } from "@slack/web-api";
import { Effect, Redacted } from "effect";
import type { SlackSettings } from "./settings.ts";
import type { SinkDefinition } from "./sink-definition.ts";
import {
  buildCaseUpdate,
  buildPlainAlert,
  buildSlackAlert,
  type SlackAlert,
  snapshotDetail,
  snapshotOf,
} from "./slack-message.ts";

/**
 * The Slack sink: one Block Kit message per routed event in the configured channel. Follow-ups
 * (unsuspended, reactivated) rewrite the case's original message (chat.update) and then reply in its
 * thread. Failures are classified, never retried beyond the bounded retries of one attempt. An event
 * that arrived after a later one of the same user (`context.supersededBy`) says so and leaves the
 * case's original message alone.
 */

export const SLACK_SINK = "slack";

/** Slack `ok:false` errors that Slack documents as temporary: retrying later can succeed. */
const TRANSIENT_PLATFORM_ERRORS: ReadonlySet<string> = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/** chat.update errors after which the follow-up is posted as a fresh message instead of a thread reply. */
const SKIPPED_SUPERSEDED = "skipped (superseded)";

const ORIGINAL_GONE: ReadonlySet<string> = new Set([
  "message_not_found",
  "cant_update_message",
  "edit_window_closed",
  "channel_not_found",
  "is_archived",
  "thread_not_found",
]);

/**
 * `ok:false` errors about the blocks themselves: the message is retried once, at once, as text only,
 * so that an alert Slack would not render (a hostile name, a Block Kit rule we did not foresee) still
 * arrives instead of dead-lettering.
 */
export const BLOCK_ERRORS: ReadonlySet<string> = new Set([
  "invalid_blocks",
  "invalid_blocks_format",
  "msg_blocks_too_long",
  "invalid_attachments",
]);

const isBlockError = (e: SinkError) => e.failure === "permanent" && e.code !== undefined && BLOCK_ERRORS.has(e.code);

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

interface SlackErrorLike {
  readonly code?: unknown;
  readonly data?: { readonly error?: unknown };
  readonly retryAfter?: unknown;
  readonly statusCode?: unknown;
  readonly original?: unknown;
  readonly message?: unknown;
}

/**
 * @slack/web-api's `ErrorCode` values, spelled out so that classifying an error does not load the client
 * (the client is imported when the sink first delivers: the Lambda's cold start skips it).
 */
const ErrorCode = {
  RequestError: "slack_webapi_request_error",
  HTTPError: "slack_webapi_http_error",
  PlatformError: "slack_webapi_platform_error",
  RateLimitedError: "slack_webapi_rate_limited_error",
} as const;

/** Classifies an error thrown by @slack/web-api. `what` names the call ("chat.postMessage"). */
export const classifySlackError = (cause: unknown, what: string): SinkError => {
  const e = (typeof cause === "object" && cause !== null ? cause : {}) as SlackErrorLike;
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = typeof e.retryAfter === "number" ? e.retryAfter : undefined;
      return new SinkError({
        sink: SLACK_SINK,
        failure: "transient",
        code: "rate_limited",
        message: `Slack ${what}: rate limited (HTTP 429)${seconds !== undefined ? `, retry after ${seconds} s` : ""}`,
        ...(seconds !== undefined && { retryAfterMs: seconds * 1000 }),
        cause,
      });
    }
    case ErrorCode.PlatformError: {
      const code = typeof e.data?.error === "string" ? e.data.error : "unknown_error";
      return new SinkError({
        sink: SLACK_SINK,
        failure: TRANSIENT_PLATFORM_ERRORS.has(code) ? "transient" : "permanent",
        code,
        message: `Slack ${what} failed: ${code}`,
        cause,
      });
    }
    case ErrorCode.HTTPError: {
      const status = typeof e.statusCode === "number" ? e.statusCode : 0;
      return new SinkError({
        sink: SLACK_SINK,
        failure: status >= 500 || status === 408 ? "transient" : "permanent",
        code: `http_${status}`,
        message: `Slack ${what}: HTTP ${status}`,
        cause,
      });
    }
    case ErrorCode.RequestError: {
      const original = e.original as { name?: unknown; message?: unknown } | undefined;
      const timedOut = original?.name === "TimeoutError" || original?.name === "AbortError";
      return new SinkError({
        sink: SLACK_SINK,
        failure: "transient",
        code: timedOut ? "timeout" : "network",
        message: `Slack ${what}: ${timedOut ? "no answer in time" : `request failed (${String(original?.message ?? e.message)})`}`,
        cause,
      });
    }
    default:
      return new SinkError({
        sink: SLACK_SINK,
        failure: "transient",
        code: "unknown",
        message: `Slack ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      });
  }
};

/** The WebClient the sink uses: bounded retries and timeout, 429s handed back to us, quiet logs. */
export const makeSlackClient = async (settings: SlackSettings): Promise<WebClient> => {
  const { WebClient, LogLevel } = await import("@slack/web-api");
  return new WebClient(Redacted.value(settings.token), {
    ...(settings.apiUrl !== undefined && { slackApiUrl: settings.apiUrl }),
    timeout: settings.timeoutMs,
    retryConfig: slackRetryConfig(settings),
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
};

/** Builds the Slack sink (name "slack") from its settings. */
export const makeSlackSink = (settings: SlackSettings): Sink => {
  // Loaded on the first delivery, then kept.
  let client: Promise<WebClient> | undefined;

  const post = (what: string, args: Record<string, unknown>) =>
    Effect.tryPromise({
      try: async () => {
        client ??= makeSlackClient(settings);
        return (await client).apiCall(what, args) as Promise<{ ts?: string; channel?: string }>;
      },
      catch: (cause) => classifySlackError(cause, what),
    });

  const send = (channel: string, content: { text: string; blocks?: SlackAlert["blocks"] }, threadTs?: string) =>
    post("chat.postMessage", {
      channel,
      ...content,
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs !== undefined && { thread_ts: threadTs, reply_broadcast: false }),
    }).pipe(
      Effect.flatMap((res) =>
        typeof res.ts === "string"
          ? Effect.succeed({ channel: typeof res.channel === "string" ? res.channel : channel, ts: res.ts })
          : Effect.fail(
              new SinkError({
                sink: SLACK_SINK,
                failure: "permanent",
                code: "no_ts",
                message: "Slack chat.postMessage answered ok without a message ts",
              }),
            ),
      ),
    );

  /**
   * Posts the alert; when Slack refuses its blocks, posts it once more as text only (`plain`). The
   * result says which (`blocksRefused`: Slack's error code) for the receipt.
   */
  const postMessage = (channel: string, alert: SlackAlert, plain: string, threadTs?: string) =>
    send(channel, { text: alert.text, blocks: alert.blocks }, threadTs).pipe(
      Effect.map((sent): { channel: string; ts: string; blocksRefused?: string } => sent),
      Effect.catchIf(isBlockError, (e) =>
        Effect.logWarning(`Slack refused the alert's blocks (${e.code}); posting it as text only`).pipe(
          Effect.andThen(send(channel, { text: plain }, threadTs)),
          Effect.map((sent) => ({ ...sent, blocksRefused: e.code ?? "invalid_blocks" })),
        ),
      ),
    );

  /** The receipt detail of a text-only fallback: which error made it and that the message has no blocks. */
  const fallbackDetail = (sent: { blocksRefused?: string }): Record<string, string> =>
    sent.blocksRefused !== undefined ? { format: "text only", blocksRefused: sent.blocksRefused } : {};

  const deliver = Effect.fn("SlackSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const original = ctx.case?.receipts.slack;
    const snapshot =
      ctx.followUp && original !== undefined && ctx.case !== undefined
        ? snapshotOf(original, ctx.case.openedKind, ctx.case.openedBy)
        : undefined;

    const alert = buildSlackAlert(event, ctx, settings);
    const plain = buildPlainAlert(event, ctx, settings);

    if (snapshot === undefined) {
      const sent = yield* postMessage(settings.channelId, alert, plain);
      return {
        sink: SLACK_SINK,
        ref: sent.ts,
        detail: { ...snapshotDetail(sent.channel, sent.ts, event), ...fallbackDetail(sent) },
      } satisfies Receipt;
    }

    // Follow-up on a case: rewrite the original first (idempotent), then reply in its thread (last,
    // because it is the one step that would repeat on a retry).
    // An out-of-order follow-up (a reactivation arriving after a later deactivation) leaves the original
    // alone: it shows a later state than this event. The reply still goes to the thread.
    const superseded = ctx.supersededBy !== undefined;
    const update = buildCaseUpdate(snapshot, event, ctx, settings);
    const updated = superseded
      ? SKIPPED_SUPERSEDED
      : yield* post("chat.update", {
          channel: snapshot.channel,
          ts: snapshot.ts,
          text: update.text,
          blocks: update.blocks,
        }).pipe(
          Effect.as("updated"),
          Effect.catchIf(
            (e) => e.failure === "permanent" && e.code !== undefined && (ORIGINAL_GONE.has(e.code) || isBlockError(e)),
            (e) => Effect.succeed(e.code ?? "failed"),
          ),
        );
    if (!superseded && updated !== "updated" && !BLOCK_ERRORS.has(updated)) {
      yield* Effect.logWarning(`Slack original message ${snapshot.ts} could not be updated (${updated}); posting anew`);
      const sent = yield* postMessage(settings.channelId, alert, plain);
      return {
        sink: SLACK_SINK,
        ref: sent.ts,
        detail: { channel: sent.channel, ts: sent.ts, original: snapshot.ts, update: updated, ...fallbackDetail(sent) },
      } satisfies Receipt;
    }
    // Updated, or the original exists but Slack refused the rewritten blocks: the thread reply carries
    // the follow-up either way.
    if (!superseded && updated !== "updated") {
      yield* Effect.logWarning(`Slack refused the update of ${snapshot.ts} (${updated}); replying in its thread`);
    }
    const reply = yield* postMessage(snapshot.channel, alert, plain, snapshot.ts);
    return {
      sink: SLACK_SINK,
      ref: reply.ts,
      detail: {
        channel: reply.channel,
        ts: reply.ts,
        thread_ts: snapshot.ts,
        update: updated,
        ...fallbackDetail(reply),
      },
    } satisfies Receipt;
  });

  return { name: SLACK_SINK, deliver };
};

/**
 * The Slack sink's configuration: active with SLACK_BOT_TOKEN and SLACK_CHANNEL_ID; rows in
 * docs/configuration.md.
 */
export const slackSink: SinkDefinition<SlackSettings> = {
  name: SLACK_SINK,
  keys: [
    { name: "SLACK_BOT_TOKEN", secret: true, description: "Bot token (xoxb-…) with chat:write, member of the channel" },
    { name: "SLACK_CHANNEL_ID", secret: false, description: "Channel id (C…) the alerts go to, not a #name" },
    {
      name: "SLACK_API_URL",
      secret: false,
      default: "https://slack.com/api/",
      description: "Base URL of Slack's Web API, for proxies and tests",
    },
  ],
  requires: ["SLACK_BOT_TOKEN", "SLACK_CHANNEL_ID"],
  read: (r, common) => {
    const token = r.redacted("SLACK_BOT_TOKEN");
    const channelId = r.string("SLACK_CHANNEL_ID");
    if (channelId !== undefined && !/^[A-Z0-9]{9,}$/.test(channelId)) {
      r.problems.push(
        "SLACK_CHANNEL_ID must be a channel id such as C0123456789 (in Slack: channel details, bottom of the About tab), not a #name",
      );
    }
    const apiUrl = r.url("SLACK_API_URL", { credentials: true });
    if (token === undefined || channelId === undefined) return undefined;
    return {
      token,
      channelId,
      ...(apiUrl !== undefined ? { apiUrl: `${apiUrl}/` } : {}),
      timeZone: common.timeZone,
      ...(common.oktaOrgUrl !== undefined ? { oktaOrgUrl: common.oktaOrgUrl } : {}),
      timeoutMs: 4_000,
      maxRetries: 2,
    };
  },
  make: makeSlackSink,
  describe: (s) =>
    `channel ${s.channelId}${s.apiUrl !== undefined ? ` via ${s.apiUrl}` : ""}, times also in ${s.timeZone}`,
};
