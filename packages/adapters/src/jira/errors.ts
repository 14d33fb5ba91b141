import { SinkError } from "@offboard/core";
import { describeNetworkCause } from "../network.ts";
import { CrossOriginRedirectError } from "../same-origin.ts";
import { JIRA_SINK } from "./settings.ts";

/** Classification of jira.js (axios) failures into the core's `SinkError` (transient / permanent). */

interface HttpLike {
  readonly status?: unknown;
  readonly response?: unknown;
  readonly cause?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

/** Jira's error body: `{ errorMessages: [...], errors: { field: message } }`, as one line. */
export const jiraErrorText = (data: unknown): string | undefined => {
  if (typeof data === "string") return data.trim() === "" ? undefined : data.slice(0, 500);
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as { errorMessages?: unknown; errors?: unknown; message?: unknown };
  const parts: Array<string> = [];
  if (Array.isArray(d.errorMessages)) parts.push(...d.errorMessages.filter((m): m is string => typeof m === "string"));
  if (typeof d.errors === "object" && d.errors !== null) {
    for (const [k, v] of Object.entries(d.errors)) parts.push(`${k}: ${String(v)}`);
  }
  if (parts.length === 0 && typeof d.message === "string") parts.push(d.message);
  return parts.length > 0 ? parts.join("; ") : undefined;
};

const header = (headers: unknown, name: string): string | undefined => {
  if (typeof headers !== "object" || headers === null) return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const v = typeof h.get === "function" ? h.get(name) : h[name];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
};

/** Retry-After in ms: delta-seconds or an HTTP date. */
export const retryAfterMs = (value: string | undefined, now = Date.now()): number | undefined => {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

/**
 * How long Jira asks us to wait after a 429: `Retry-After` (seconds or a date), else `X-RateLimit-Reset`
 * (an ISO 8601 time), else undefined (the caller backs off exponentially, with jitter).
 */
export const rateLimitWaitMs = (headers: unknown, now = Date.now()): number | undefined => {
  const retryAfter = retryAfterMs(header(headers, "retry-after"), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = header(headers, "x-ratelimit-reset");
  const at = reset === undefined ? Number.NaN : Date.parse(reset);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

/** Exponential backoff with jitter for a 429 that named no wait: between half and all of 1 s × 2^n. */
export const backoffMs = (n: number): number => {
  const ceiling = Math.min(60_000, 1_000 * 2 ** n);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
};

/** The refused redirect in an error's cause chain (jira.js wraps axios, which wraps follow-redirects). */
const crossOriginRedirectIn = (cause: unknown): CrossOriginRedirectError | undefined => {
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof CrossOriginRedirectError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/** Network errors raised before the request reached Jira: repeating the request cannot duplicate anything. */
const NOT_SENT: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/** True for a failure whose request never reached Jira. */
export const neverSent = (e: SinkError): boolean => {
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && NOT_SENT.has(code);
};

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "ERR_NETWORK",
  "ERR_CANCELED",
]);

/**
 * Classifies an error thrown by jira.js (an `HttpException` wrapping the axios error for HTTP
 * answers; the bare axios error for network failures). 429 (with Retry-After), 408 and 5xx are
 * transient; other 4xx are permanent and carry Jira's `errorMessages` / `errors`. The cause kept on
 * the SinkError is only { status, data }: the axios error holds the Authorization header.
 */
export const classifyJiraError = (cause: unknown, what: string): SinkError => {
  const redirect = crossOriginRedirectIn(cause);
  if (redirect !== undefined) {
    // Configuration, not a blip: JIRA_BASE_URL names a site that sends requests elsewhere.
    return new SinkError({
      sink: JIRA_SINK,
      failure: "permanent",
      code: "redirect",
      message: `Jira ${what}: ${redirect.message}; check JIRA_BASE_URL`,
      cause: { code: "redirect", from: redirect.from, to: redirect.to },
    });
  }
  const e = (typeof cause === "object" && cause !== null ? cause : {}) as HttpLike;
  const axiosLike = (e.cause ?? e) as { response?: { status?: unknown; data?: unknown; headers?: unknown } };
  const res = axiosLike.response;
  const status =
    typeof e.status === "number" && res !== undefined
      ? e.status
      : typeof res?.status === "number"
        ? res.status
        : undefined;
  if (status !== undefined) {
    const data = res?.data;
    const vendor = jiraErrorText(data);
    const transient = status === 429 || status === 408 || status >= 500;
    const wait = status === 429 ? rateLimitWaitMs(res?.headers) : undefined;
    return new SinkError({
      sink: JIRA_SINK,
      failure: transient ? "transient" : "permanent",
      code: String(status),
      message: `Jira ${what}: HTTP ${status}${vendor !== undefined ? `: ${vendor}` : ""}`,
      ...(wait !== undefined && { retryAfterMs: wait }),
      cause: { status, data },
    });
  }
  const code = typeof e.code === "string" ? e.code : undefined;
  const timedOut = code === "ECONNABORTED" || code === "ETIMEDOUT";
  return new SinkError({
    sink: JIRA_SINK,
    failure: "transient",
    code: timedOut ? "timeout" : code !== undefined && NETWORK_CODES.has(code) ? "network" : (code ?? "unknown"),
    message: `Jira ${what}: ${timedOut ? "no answer in time" : `request failed: ${describeNetworkCause(cause) ?? code ?? (typeof e.message === "string" ? e.message : "unknown error")}`}`,
    cause: { code },
  });
};
