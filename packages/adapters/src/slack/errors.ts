import { SinkError } from "@offboard/core";
import { describeNetworkCause } from "../network.ts";
import { SLACK_SINK } from "./settings.ts";

/** Classification of @slack/web-api failures into the core's `SinkError` (transient / permanent). */

/** Slack `ok:false` errors that Slack documents as temporary: retrying later can succeed. */
const TRANSIENT_PLATFORM_ERRORS: ReadonlySet<string> = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/**
 * chat.update errors meaning the case's original message is gone or can no longer be edited: the
 * follow-up is then posted as a fresh message instead of a thread reply.
 */
export const ORIGINAL_GONE: ReadonlySet<string> = new Set([
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

export const isBlockError = (e: SinkError) =>
  e.failure === "permanent" && e.code !== undefined && BLOCK_ERRORS.has(e.code);

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
 * (it is imported when the sink first delivers).
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
        message: `Slack ${what}: ${timedOut ? "no answer in time" : `request failed: ${describeNetworkCause(original) ?? String(original?.message ?? e.message)}`}`,
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

/** Network failures raised before the request reached Slack: repeating it cannot post twice. */
const NOT_SENT: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** The first error `code` in a cause chain (`original`, `cause`, an AggregateError's `errors`). */
const codeIn = (cause: unknown, depth = 0): string | undefined => {
  if (depth > 5 || typeof cause !== "object" || cause === null) return undefined;
  const e = cause as { code?: unknown; original?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string" && e.code.startsWith("E")) return e.code;
  const nested = [e.original, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  for (const n of nested) {
    const c = codeIn(n, depth + 1);
    if (c !== undefined) return c;
  }
  return undefined;
};

/**
 * A failure after which Slack may have acted all the same: an HTTP 5xx, no answer in time, a reset
 * connection, or something unforeseen. Before posting again, look for the message. A connection that
 * was refused, or a name that did not resolve, never reached Slack.
 */
export const isAmbiguous = (e: SinkError): boolean => {
  if (e.code === "network") {
    const code = codeIn(e.cause);
    return code === undefined || !NOT_SENT.has(code);
  }
  return (
    e.code === "timeout" ||
    e.code === "unknown" ||
    e.code === "fatal_error" ||
    (e.code !== undefined && /^http_5\d\d$/.test(e.code))
  );
};
