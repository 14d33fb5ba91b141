/**
 * Okta's Log Streams API (`/api/v1/logStreams`), limited to the `aws_eventbridge` stream type, over the
 * one Okta client (pacing, retries, https only, bounded errors). Used by the log-stream custom resource
 * and by the poller's stream-health check.
 *
 * Request and response shapes follow Okta's management OpenAPI spec (LogStream, LogStreamAws,
 * LogStreamSettingsAws, LogStreamAwsPutSchema).
 */
import type { Redacted } from "effect";
import type { OktaCredentials } from "./auth.ts";
import { makeOktaClient, nextLink, type OktaClient, type OktaClientOptions, type RequestHints } from "./client.ts";
import { OktaApiError } from "./errors.ts";
import { safeOktaText } from "./safe-text.ts";

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

export type OktaLogStreamClientOptions = Omit<OktaClientOptions, "credentials"> &
  (
    | { readonly credentials: OktaCredentials; readonly token?: undefined }
    /** An Okta API token (sent as `Authorization: SSWS <token>`). */
    | { readonly token: Redacted.Redacted<string>; readonly credentials?: undefined }
  );

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

const parseLogStream = (json: unknown, operation: string): LogStream => {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const settings = (typeof o.settings === "object" && o.settings !== null ? o.settings : {}) as Record<string, unknown>;
  if (typeof o.id !== "string" || typeof o.name !== "string") {
    throw new OktaApiError({
      message: `Okta ${operation} returned an unexpected body (no id or name${
        typeof o.errorSummary === "string" ? `; ${safeOktaText(o.errorSummary)}` : ""
      })`,
      operation,
      status: 200,
      failure: "permanent",
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

const HINTS: RequestHints = {
  on401: "Check OKTA_API_TOKEN in the secret: it must be a current, unrevoked token of the org.",
  on403:
    "The API token's admin may not manage log streams: create the token as a super administrator (or grant okta.logStreams.manage to an OAuth service app).",
  onExhausted:
    "The org's rate limit for /api/v1/logStreams is exhausted or Okta is having trouble; retry the deployment in a minute.",
};

/** The Log Streams API over an existing Okta client. */
export const oktaLogStreams = (okta: OktaClient): OktaLogStreamClient => {
  const call = (operation: string, method: string, pathOrUrl: string, body?: unknown) =>
    okta.request(operation, method, pathOrUrl, body, HINTS);

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

/** A Log Streams client with its own Okta client (an API token or service-app credentials). */
export const makeOktaLogStreamClient = (options: OktaLogStreamClientOptions): OktaLogStreamClient => {
  const { token, credentials, ...rest } = options;
  return oktaLogStreams(
    makeOktaClient({
      userAgent: "offboard-log-stream-custom-resource",
      ...rest,
      credentials: credentials ?? { type: "api-token", token: token as Redacted.Redacted<string> },
    }),
  );
};
