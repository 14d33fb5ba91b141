/**
 * A small client for Okta's Log Streams API (`/api/v1/logStreams`), limited to the `aws_eventbridge`
 * stream type. Direct REST over `fetch` rather than @okta/okta-sdk-nodejs: the custom resource needs
 * seven calls, the SDK would add megabytes to a Lambda that runs a few times a year, and we need
 * precise control over 429 handling (honour `x-rate-limit-reset` against the server's `Date`).
 *
 * Request and response shapes follow Okta's management OpenAPI spec (LogStream, LogStreamAws,
 * LogStreamSettingsAws, LogStreamAwsPutSchema) and its error object (errorCode, errorSummary,
 * errorCauses, errorId).
 */
import { Redacted } from "effect";
import { OktaApiError, OktaAuthError, OktaNetworkError, OktaRetriesExhaustedError } from "./errors.ts";

export const LOG_STREAM_TYPE = "aws_eventbridge";

/** The AWS EventBridge settings of a log stream. Okta marks all three write-once. */
export interface AwsEventBridgeSettings {
  readonly accountId: string;
  readonly region: string;
  readonly eventSourceName: string;
}

export type LogStreamStatus = "ACTIVE" | "INACTIVE";

export interface LogStream {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly status: LogStreamStatus | string;
  readonly settings: AwsEventBridgeSettings;
}

export interface OktaLogStreamClientOptions {
  /** The org's base URL, e.g. `https://acme.okta.com` (any path is ignored). */
  readonly orgUrl: string;
  /** An Okta API token (sent as `Authorization: SSWS <token>`). */
  readonly token: Redacted.Redacted<string>;
  /** Attempts per request, including the first (default 4). */
  readonly maxAttempts?: number;
  /** Upper bound on one wait between attempts, in ms (default 60 000: Okta's rate-limit window). */
  readonly maxRetryDelayMs?: number;
  /** Per-request timeout in ms (default 15 000). */
  readonly requestTimeoutMs?: number;
  /** How to wait between attempts; injectable so tests can record the delays instead of sleeping. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
}

export interface OktaLogStreamClient {
  /** Every `aws_eventbridge` log stream in the org (follows `Link: rel="next"` pagination). */
  readonly list: () => Promise<ReadonlyArray<LogStream>>;
  readonly findByName: (name: string) => Promise<LogStream | undefined>;
  /** `undefined` when Okta answers 404. */
  readonly get: (id: string) => Promise<LogStream | undefined>;
  readonly create: (name: string, settings: AwsEventBridgeSettings) => Promise<LogStream>;
  /** PUT: only `name` can really change; the write-once settings are sent with their original values. */
  readonly replace: (id: string, name: string, settings: AwsEventBridgeSettings) => Promise<LogStream>;
  readonly activate: (id: string) => Promise<LogStream>;
  readonly deactivate: (id: string) => Promise<LogStream>;
  /** `false` when the stream was already gone (404). */
  readonly delete: (id: string) => Promise<boolean>;
}

interface OktaErrorBody {
  readonly errorCode?: string;
  readonly errorSummary?: string;
  readonly errorId?: string;
  readonly errorCauses?: ReadonlyArray<{ readonly errorSummary?: string }>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Methods Okta can safely receive twice; only these are retried after a 5xx. 429s are always retried. */
const IDEMPOTENT = new Set(["GET", "PUT", "DELETE"]);

/**
 * How long to wait before retrying a 429: until `x-rate-limit-reset` (epoch seconds), measured against
 * the response's `Date` header so a skewed Lambda clock does not matter; else `Retry-After`; else
 * exponential backoff. Always at least 250 ms and at most `maxMs`.
 */
export const retryDelayMs = (headers: Headers, attempt: number, maxMs: number, now: () => number = Date.now) => {
  const floor = 250;
  const clamp = (ms: number) => Math.min(Math.max(ms, floor), maxMs);
  const reset = Number(headers.get("x-rate-limit-reset"));
  if (Number.isFinite(reset) && reset > 0) {
    const serverNow = Date.parse(headers.get("date") ?? "");
    const base = Number.isFinite(serverNow) ? serverNow : now();
    return clamp(reset * 1000 - base);
  }
  const retryAfter = Number(headers.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers.get("retry-after") !== null) {
    return clamp(retryAfter * 1000);
  }
  return clamp(1000 * 2 ** (attempt - 1));
};

const describeOktaError = (status: number, body: OktaErrorBody | undefined) => {
  if (body === undefined) return `HTTP ${status}`;
  const causes = (body.errorCauses ?? [])
    .map((c) => c.errorSummary)
    .filter((s): s is string => typeof s === "string" && s.length > 0);
  const code = body.errorCode === undefined ? "" : ` ${body.errorCode}`;
  const summary = body.errorSummary === undefined ? "" : `: ${body.errorSummary}`;
  const detail = causes.length > 0 ? ` (${causes.join("; ")})` : "";
  const id = body.errorId === undefined ? "" : ` [errorId ${body.errorId}]`;
  return `HTTP ${status}${code}${summary}${detail}${id}`;
};

const asErrorBody = (json: unknown): OktaErrorBody | undefined =>
  typeof json === "object" && json !== null ? (json as OktaErrorBody) : undefined;

const parseLogStream = (json: unknown, operation: string): LogStream => {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const settings = (typeof o.settings === "object" && o.settings !== null ? o.settings : {}) as Record<string, unknown>;
  if (typeof o.id !== "string" || typeof o.name !== "string") {
    throw new OktaApiError({
      message: `Okta ${operation} returned an unexpected body (no id/name): ${JSON.stringify(json).slice(0, 300)}`,
      operation,
      status: 200,
    });
  }
  return {
    id: o.id,
    name: o.name,
    type: typeof o.type === "string" ? o.type : "",
    status: typeof o.status === "string" ? o.status : "",
    settings: {
      accountId: String(settings.accountId ?? ""),
      region: String(settings.region ?? ""),
      eventSourceName: String(settings.eventSourceName ?? ""),
    },
  };
};

/** The `rel="next"` target of an RFC 8288 `Link` header, if any. */
export const nextLink = (link: string | null): string | undefined => {
  if (link === null) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
};

export const makeOktaLogStreamClient = (options: OktaLogStreamClientOptions): OktaLogStreamClient => {
  const origin = new URL(options.orgUrl).origin;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const sleep = options.sleep ?? defaultSleep;
  const fetchImpl = options.fetch ?? fetch;

  const call = async (
    operation: string,
    method: string,
    pathOrUrl: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; headers: Headers }> => {
    const url = pathOrUrl.startsWith("http") ? new URL(pathOrUrl) : new URL(pathOrUrl, origin);
    if (url.origin !== origin) {
      throw new OktaApiError({ message: `Refusing to follow ${url.origin} outside ${origin}`, operation, status: 0 });
    }
    let lastStatus = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let res: Response;
      try {
        res = await fetchImpl(url, {
          method,
          headers: {
            Accept: "application/json",
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            Authorization: `SSWS ${Redacted.value(options.token)}`,
            "User-Agent": "offboard-log-stream-custom-resource",
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (cause) {
        if (attempt < maxAttempts && IDEMPOTENT.has(method)) {
          await sleep(retryDelayMs(new Headers(), attempt, maxRetryDelayMs));
          continue;
        }
        throw new OktaNetworkError({
          message: `Okta ${operation} (${method} ${url.pathname}) got no response: ${String(cause)}`,
          operation,
          cause,
        });
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.ok) return { status: res.status, json, headers: res.headers };
      lastStatus = res.status;
      const retryable = res.status === 429 || (res.status >= 500 && IDEMPOTENT.has(method));
      if (retryable && attempt < maxAttempts) {
        await sleep(retryDelayMs(res.headers, attempt, maxRetryDelayMs));
        continue;
      }
      const described = describeOktaError(res.status, asErrorBody(json));
      if (retryable) {
        throw new OktaRetriesExhaustedError({
          message: `Okta ${operation} still failed after ${attempt} attempts (${described}). ${
            res.status === 429
              ? "The org's rate limit for /api/v1/logStreams is exhausted; retry the deployment in a minute."
              : "Okta is having trouble; retry the deployment later."
          }`,
          operation,
          status: res.status,
          attempts: attempt,
        });
      }
      if (res.status === 401) {
        throw new OktaAuthError({
          message: `Okta refused the API token for ${operation} (${described}). Check OKTA_API_TOKEN in the secret: it must be a current, unrevoked token of ${origin}.`,
          operation,
          status: 401,
          errorCode: asErrorBody(json)?.errorCode,
        });
      }
      if (res.status === 403) {
        throw new OktaAuthError({
          message: `Okta denied ${operation} (${described}). The API token's admin may not manage log streams: create the token as a super administrator (or grant okta.logStreams.manage to an OAuth service app).`,
          operation,
          status: 403,
          errorCode: asErrorBody(json)?.errorCode,
        });
      }
      throw new OktaApiError({
        message: `Okta ${operation} failed (${described})`,
        operation,
        status: res.status,
        errorCode: asErrorBody(json)?.errorCode,
        errorSummary: asErrorBody(json)?.errorSummary,
      });
    }
    // Unreachable: the loop always returns or throws on its last attempt.
    throw new OktaRetriesExhaustedError({
      message: `Okta ${operation} failed`,
      operation,
      status: lastStatus,
      attempts: maxAttempts,
    });
  };

  const path = (id: string) => `/api/v1/logStreams/${encodeURIComponent(id)}`;

  const list = async () => {
    const streams: Array<LogStream> = [];
    const filter = encodeURIComponent(`type eq "${LOG_STREAM_TYPE}"`);
    let next: string | undefined = `/api/v1/logStreams?filter=${filter}&limit=20`;
    for (let page = 0; next !== undefined && page < 50; page++) {
      const res = await call("list log streams", "GET", next);
      const items = Array.isArray(res.json) ? res.json : [];
      for (const item of items) streams.push(parseLogStream(item, "list log streams"));
      next = nextLink(res.headers.get("link"));
    }
    return streams;
  };

  const isNotFound = (e: unknown) => e instanceof OktaApiError && e.status === 404;

  return {
    list,
    findByName: async (name) => (await list()).find((s) => s.name === name && s.type === LOG_STREAM_TYPE),
    get: async (id) => {
      try {
        return parseLogStream((await call("get log stream", "GET", path(id))).json, "get log stream");
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: async (name, settings) =>
      parseLogStream(
        (await call("create log stream", "POST", "/api/v1/logStreams", { type: LOG_STREAM_TYPE, name, settings })).json,
        "create log stream",
      ),
    replace: async (id, name, settings) =>
      parseLogStream(
        (await call("replace log stream", "PUT", path(id), { type: LOG_STREAM_TYPE, name, settings })).json,
        "replace log stream",
      ),
    activate: async (id) =>
      parseLogStream(
        (await call("activate log stream", "POST", `${path(id)}/lifecycle/activate`)).json,
        "activate log stream",
      ),
    deactivate: async (id) =>
      parseLogStream(
        (await call("deactivate log stream", "POST", `${path(id)}/lifecycle/deactivate`)).json,
        "deactivate log stream",
      ),
    delete: async (id) => {
      try {
        await call("delete log stream", "DELETE", path(id));
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
  };
};
