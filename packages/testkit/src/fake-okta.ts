/**
 * A loopback Okta org for tests and benchmarks, speaking Okta's documented request/response and error
 * shapes over real HTTP. One fake for every Okta API offboard calls:
 *
 * - **System Log** (`GET /api/v1/logs`): `since`/`until`/`filter`/`limit`/`sortOrder`/`after`. Events
 *   are kept in "persistence" order (the order they were added), which may differ from `published`. A
 *   polling query (no `until`) selects by persistence order and **always** answers with a `next` link,
 *   also on an empty page; a bounded query sorts by `published` and is finite. The cursor (`after`) is
 *   opaque. `since` more than 180 days back is a 400; a bad filter is a 400 E0000031.
 * - **Rate limits**: `X-Rate-Limit-Limit/-Remaining/-Reset` on every answer; `rateLimitPerMinute` models
 *   Okta's per-minute window (429 `E0000047` once spent), `rateLimitNext` injects 429s.
 * - **Log Streams** (`/api/v1/logStreams`): filter `type eq`/`status eq`; cursor pagination; unique
 *   names; at most two streams; write-once settings; a stream must be INACTIVE before DELETE. Okta
 *   deactivating a stream (`deactivateStream`) also writes `system.log_stream.lifecycle.deactivate`.
 * - **Event Hooks** (`/api/v1/eventHooks`): create, list, get, activate/deactivate, delete, and
 *   `lifecycle/verify`, which sends the one-time verification GET to the hook's URL like Okta does.
 * - **Auth**: `SSWS <token>` (401 E0000011 otherwise), or a bearer token from `/oauth2/v1/token`
 *   (client credentials with a `private_key_jwt` assertion signed by a registered service app's key).
 *
 * The server's clock (Date header, rate-limit resets) runs one hour behind the test machine's, so a
 * client that trusts its own clock instead of the Date header gets the waits wrong.
 */
import { type KeyObject, randomUUID, verify } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeStream {
  id: string;
  name: string;
  type: string;
  status: "ACTIVE" | "INACTIVE";
  settings: { accountId: string; region: string; eventSourceName: string };
  created: string;
  lastUpdated: string;
}

export interface FakeEventHook {
  id: string;
  name: string;
  status: "ACTIVE" | "INACTIVE";
  verificationStatus: "UNVERIFIED" | "VERIFIED";
  events: { type: "EVENT_TYPE"; items: Array<string> };
  channel: {
    type: "HTTP";
    version: "1.0.0";
    config: {
      uri: string;
      headers: Array<{ key: string; value: string }>;
      authScheme: { type: string; key: string; value?: string } | null;
    };
  };
  created: string;
  lastUpdated: string;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

/** A System Log event as the fake stores it (any LogEvent JSON with a uuid, eventType and published). */
export type FakeLogEvent = Record<string, unknown> & { uuid: string; eventType: string; published: string };

export interface FakeOkta {
  readonly url: string;
  readonly token: string;
  readonly streams: Map<string, FakeStream>;
  readonly hooks: Map<string, FakeEventHook>;
  /** The System Log, in persistence order. */
  readonly events: Array<FakeLogEvent>;
  readonly calls: Array<RecordedCall>;
  /** Users by id with their Okta status (ACTIVE, SUSPENDED, DEPROVISIONED, …), for `GET /api/v1/users/{id}`. */
  readonly users: Map<string, string>;
  /** The next `n` user reads get this 5xx status (E0000009), to exercise transient failures. */
  failUsersNext: (n: number, status?: number) => void;
  /** Status a newly created stream gets (Okta's default is ACTIVE). */
  createdStatus: "ACTIVE" | "INACTIVE";
  /** Page size the server uses when the client's `limit` is larger (to exercise pagination). */
  pageSize: number;
  /** Largest page of /api/v1/logs (Okta: 1000). */
  logPageSize: number;
  /** The test machine's clock as the server sees it (default Date.now); the server runs an hour behind it. */
  now: () => number;
  /** Okta's per-minute limit for every endpoint (undefined: unlimited; headers still say 100). */
  rateLimitPerMinute: number | undefined;
  /** The next `n` requests get 429, with the rate limit resetting `resetInSeconds` after the server's Date. */
  rateLimitNext: (n: number, resetInSeconds: number) => void;
  /** Every request gets 403 E0000006. */
  forbidAll: () => void;
  /** Add a stream directly, as if created in the Admin Console or by Terraform. */
  seed: (s: Partial<FakeStream> & Pick<FakeStream, "name">) => FakeStream;
  /** Append events to the System Log (persistence order = call order). */
  addEvents: (...events: ReadonlyArray<FakeLogEvent>) => void;
  /** Okta gives up on a stream (after its two retries): INACTIVE, and a deactivation event in the log. */
  deactivateStream: (id: string, at?: string) => void;
  /** Register an OAuth service app whose `private_key_jwt` assertions are signed by `publicKey`'s key. */
  registerServiceApp: (clientId: string, publicKey: KeyObject, scopes?: ReadonlyArray<string>) => void;
  readonly close: () => Promise<void>;
}

const oktaError = (code: string, summary: string, causes: ReadonlyArray<string> = []) => ({
  errorCode: code,
  errorSummary: summary,
  errorLink: code,
  errorId: `oae${Math.random().toString(36).slice(2, 12)}`,
  errorCauses: causes.map((errorSummary) => ({ errorSummary })),
});

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Array<Buffer> = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.length === 0) return undefined;
  if ((req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return JSON.parse(text);
};

let idCounter = 0;
const newId = (kind: string) =>
  `0${kind}${(++idCounter).toString().padStart(4, "0")}Fake${Math.random().toString(36).slice(2, 8)}`;

let eventSeq = 0;

/** A System Log event with realistic defaults (a user target, SUCCESS, an admin actor). */
export const fakeLogEvent = (
  eventType: string,
  published: string,
  overrides: Partial<FakeLogEvent> & { userId?: string; login?: string } = {},
): FakeLogEvent => {
  eventSeq += 1;
  const { userId, login, ...rest } = overrides;
  const id = userId ?? `00u${String(eventSeq).padStart(17, "0")}`;
  return {
    uuid: randomUUID(),
    published,
    eventType,
    version: "0",
    severity: "INFO",
    displayMessage: eventType,
    actor: { id: "00uadmin000000000001", type: "User", alternateId: "it.admin@example.com", displayName: "IT Admin" },
    client: { ipAddress: "198.51.100.7", userAgent: { rawUserAgent: "Mozilla/5.0" } },
    outcome: { result: "SUCCESS", reason: null },
    target: [
      { id, type: "User", alternateId: login ?? `user${eventSeq}@example.com`, displayName: `User ${eventSeq}` },
    ],
    transaction: { type: "WEB", id: `tx${eventSeq}`, detail: {} },
    ...rest,
  };
};

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const unb64 = (s: string) => Buffer.from(s, "base64url").toString("utf8");

/** `eventType eq "a" or eventType eq "b"` → ["a", "b"]; undefined when the filter is not of that form. */
const parseEventTypeFilter = (filter: string): Array<string> | undefined => {
  const parts = filter.split(/\s+or\s+/);
  const types: Array<string> = [];
  for (const part of parts) {
    const m = /^\(?\s*eventType eq "([^"]+)"\s*\)?$/.exec(part.trim());
    if (m?.[1] === undefined) return undefined;
    types.push(m[1]);
  }
  return types;
};

export const startFakeOkta = async (token = "00fake-okta-api-token-value"): Promise<FakeOkta> => {
  const streams = new Map<string, FakeStream>();
  const hooks = new Map<string, FakeEventHook>();
  const events: Array<FakeLogEvent> = [];
  const calls: Array<RecordedCall> = [];
  const apps = new Map<string, { key: KeyObject; scopes: ReadonlyArray<string> }>();
  const accessTokens = new Map<string, { scopes: ReadonlyArray<string>; expiresAt: number }>();
  const seenJti = new Set<string>();
  let pendingRateLimits: Array<number> = [];
  let forbidden = false;
  const users = new Map<string, string>();
  let pendingUserFailures: Array<number> = [];
  let window = { start: 0, used: 0 };

  const view = (s: FakeStream, base: string) => ({
    ...s,
    _links: {
      self: { href: `${base}/api/v1/logStreams/${s.id}`, method: "GET" },
      ...(s.status === "ACTIVE"
        ? { deactivate: { href: `${base}/api/v1/logStreams/${s.id}/lifecycle/deactivate`, method: "POST" } }
        : { activate: { href: `${base}/api/v1/logStreams/${s.id}/lifecycle/activate`, method: "POST" } }),
    },
  });

  const streamEvent = (s: FakeStream, eventType: string, at: string) =>
    fakeLogEvent(eventType, at, {
      target: [{ id: s.id, type: "LogStream", alternateId: s.name, displayName: s.name }],
      actor: { id: "0oaokta", type: "PublicClientApp", alternateId: "Okta", displayName: "Okta" },
    });

  const fake: FakeOkta = {
    url: "",
    token,
    streams,
    hooks,
    events,
    calls,
    users,
    failUsersNext: (n, status = 500) => {
      pendingUserFailures = Array.from({ length: n }, () => status);
    },
    createdStatus: "ACTIVE",
    pageSize: 20,
    logPageSize: 1000,
    now: Date.now,
    rateLimitPerMinute: undefined,
    rateLimitNext: (n, resetInSeconds) => {
      pendingRateLimits = Array.from({ length: n }, () => resetInSeconds);
    },
    forbidAll: () => {
      forbidden = true;
    },
    seed: (s) => {
      const now = new Date().toISOString();
      const stream: FakeStream = {
        id: s.id ?? newId("oa"),
        type: s.type ?? "aws_eventbridge",
        status: s.status ?? "ACTIVE",
        settings: s.settings ?? { accountId: "123456789012", region: "us-east-1", eventSourceName: "seeded" },
        created: now,
        lastUpdated: now,
        name: s.name,
      };
      streams.set(stream.id, stream);
      return stream;
    },
    addEvents: (...more) => {
      events.push(...more);
    },
    deactivateStream: (id, at = new Date().toISOString()) => {
      const s = streams.get(id);
      if (s === undefined) throw new Error(`no stream ${id}`);
      s.status = "INACTIVE";
      s.lastUpdated = at;
      events.push(streamEvent(s, "system.log_stream.lifecycle.deactivate", at));
    },
    registerServiceApp: (clientId, publicKey, scopes = ["okta.logs.read", "okta.users.read"]) => {
      apps.set(clientId, { key: publicKey, scopes });
    },
    close: async () => {},
  };

  const verifyAssertion = (assertion: string, audience: string): string | undefined => {
    const [h, p, sig] = assertion.split(".");
    if (h === undefined || p === undefined || sig === undefined) return undefined;
    const header = JSON.parse(unb64(h)) as { alg?: string };
    const claims = JSON.parse(unb64(p)) as Record<string, unknown>;
    const app = typeof claims.iss === "string" ? apps.get(claims.iss) : undefined;
    if (app === undefined || claims.sub !== claims.iss || claims.aud !== audience) return undefined;
    const nowS = Date.now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp < nowS || claims.exp - nowS > 3600) return undefined;
    if (typeof claims.jti !== "string" || seenJti.has(claims.jti)) return undefined;
    const alg = header.alg ?? "";
    const hash = alg.endsWith("384") ? "sha384" : alg.endsWith("512") ? "sha512" : "sha256";
    const ok = verify(
      hash,
      Buffer.from(`${h}.${p}`),
      alg.startsWith("ES") ? { key: app.key, dsaEncoding: "ieee-p1363" } : app.key,
      Buffer.from(sig, "base64url"),
    );
    if (!ok) return undefined;
    seenJti.add(claims.jti);
    return claims.iss as string;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const base = fake.url;
    const url = new URL(req.url ?? "/", base);
    const body = await readBody(req);
    const method = req.method ?? "GET";
    calls.push({ method, path: url.pathname, query: url.searchParams, body, authorization: req.headers.authorization });
    // The server's clock, one hour behind the test machine's, so only the Date header can be trusted.
    const serverNowMs = fake.now() - 3_600_000;
    const serverNow = Math.floor(serverNowMs / 1000);
    if (serverNowMs - window.start >= 60_000) window = { start: serverNowMs, used: 0 };
    const limit = fake.rateLimitPerMinute;
    const resetAt = Math.ceil((window.start + 60_000) / 1000);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "Content-Type": "application/json",
        Date: new Date(serverNowMs).toUTCString(),
        "x-rate-limit-limit": String(limit ?? 100),
        "x-rate-limit-remaining": String(limit === undefined ? 99 : Math.max(0, limit - window.used)),
        "x-rate-limit-reset": String(limit === undefined ? serverNow + 60 : resetAt),
        ...headers,
      });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };
    const tooMany = (resetEpochS: number) =>
      send(429, oktaError("E0000047", "API call exceeded rate limit due to too many requests."), {
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": String(resetEpochS),
      });

    // OAuth 2.0 token endpoint (client credentials, private_key_jwt).
    if (url.pathname === "/oauth2/v1/token" && method === "POST") {
      const form = (body ?? {}) as Record<string, string>;
      if (form.grant_type !== "client_credentials") {
        return send(400, { error: "unsupported_grant_type", error_description: "The grant type is not supported." });
      }
      if (form.client_assertion_type !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return send(401, { error: "invalid_client", error_description: "A client_assertion is required." });
      }
      const clientId = verifyAssertion(form.client_assertion ?? "", `${base}/oauth2/v1/token`);
      if (clientId === undefined) {
        return send(401, { error: "invalid_client", error_description: "The client_assertion signature is invalid." });
      }
      const granted = apps.get(clientId)?.scopes ?? [];
      const wanted = (form.scope ?? "").split(" ").filter(Boolean);
      const missing = wanted.filter((s) => !granted.includes(s));
      if (missing.length > 0) {
        return send(400, {
          error: "invalid_scope",
          error_description: `The following scopes are not allowed: ${missing.join(", ")}`,
        });
      }
      const accessToken = `eyJfake.${randomUUID()}.sig`;
      accessTokens.set(accessToken, { scopes: wanted, expiresAt: Date.now() + 3_600_000 });
      return send(200, { token_type: "Bearer", expires_in: 3600, access_token: accessToken, scope: wanted.join(" ") });
    }

    const auth = req.headers.authorization ?? "";
    const bearer = auth.startsWith("Bearer ") ? accessTokens.get(auth.slice(7)) : undefined;
    if (auth !== `SSWS ${token}` && (bearer === undefined || bearer.expiresAt < Date.now())) {
      return send(401, oktaError("E0000011", "Invalid token provided"));
    }
    const limited = pendingRateLimits.shift();
    if (limited !== undefined) return tooMany(serverNow + limited);
    if (limit !== undefined) {
      if (window.used >= limit) return tooMany(resetAt);
      window.used += 1;
    }
    if (forbidden)
      return send(403, oktaError("E0000006", "You do not have permission to perform the requested action"));
    const needScope = (scope: string) => bearer !== undefined && !bearer.scopes.includes(scope);

    const parts = url.pathname.split("/").filter(Boolean); // api v1 <collection> [id] [lifecycle] [op]
    if (parts[0] !== "api" || parts[1] !== "v1") {
      return send(404, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
    }
    if (parts[2] === "logs" && method === "GET") {
      if (needScope("okta.logs.read"))
        return send(403, oktaError("E0000006", "You do not have permission to perform the requested action"));
      return logs(url, send);
    }
    if (parts[2] === "eventHooks") return eventHooks(parts, method, body, send);
    if (parts[2] === "users" && parts.length === 4 && method === "GET") {
      if (needScope("okta.users.read"))
        return send(403, oktaError("E0000006", "You do not have permission to perform the requested action"));
      const failure = pendingUserFailures.shift();
      if (failure !== undefined) return send(failure, oktaError("E0000009", "Internal Server Error"));
      const userId = decodeURIComponent(parts[3] ?? "");
      const status = users.get(userId);
      if (status === undefined) {
        return send(404, oktaError("E0000007", `Not found: Resource not found: ${userId} (User)`));
      }
      return send(200, {
        id: userId,
        status,
        created: "2024-01-01T00:00:00.000Z",
        profile: { login: `${userId}@example.com`, email: `${userId}@example.com` },
        _links: { self: { href: `${base}/api/v1/users/${userId}` } },
      });
    }
    if (parts[2] !== "logStreams") {
      return send(404, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
    }
    const id = parts[3];
    const notFound = () => send(404, oktaError("E0000007", `Not found: Resource not found: ${id} (LogStream)`));

    if (id === undefined && method === "GET") {
      const filter = url.searchParams.get("filter");
      let items = [...streams.values()];
      if (filter !== null) {
        const m = /^(type|status) eq "([^"]*)"$/.exec(filter);
        if (m === null) return send(400, oktaError("E0000031", "Invalid search criteria."));
        items = items.filter((s) => (m[1] === "type" ? s.type === m[2] : s.status === m[2]));
      }
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 20), fake.pageSize);
      const after = Number(url.searchParams.get("after") ?? 0);
      const page = items.slice(after, after + limit);
      const headers: Record<string, string> = {};
      if (after + limit < items.length) {
        const next = new URL(url);
        next.searchParams.set("after", String(after + limit));
        headers.Link = `<${base}${url.pathname}${url.search}>; rel="self", <${next.toString()}>; rel="next"`;
      }
      return send(
        200,
        page.map((s) => view(s, base)),
        headers,
      );
    }
    if (id === undefined && method === "POST") {
      const b = (body ?? {}) as Partial<FakeStream>;
      const st = b.settings;
      if (
        b.type !== "aws_eventbridge" ||
        typeof b.name !== "string" ||
        !st?.accountId ||
        !st.region ||
        !st.eventSourceName
      ) {
        return send(400, oktaError("E0000001", "Api validation failed: logStream", ["settings: required"]));
      }
      if ([...streams.values()].some((s) => s.name === b.name)) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: name", ["name: A log stream with this name already exists."]),
        );
      }
      if (streams.size >= 2) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: logStream", ["Maximum number of log streams reached."]),
        );
      }
      const created = fake.seed({ name: b.name, settings: { ...st }, status: fake.createdStatus });
      return send(200, view(created, base));
    }
    const stream = id === undefined ? undefined : streams.get(id);
    if (stream === undefined) return notFound();
    if (parts[4] === "lifecycle" && method === "POST") {
      const at = new Date().toISOString();
      const before = stream.status;
      stream.status = parts[5] === "activate" ? "ACTIVE" : "INACTIVE";
      stream.lastUpdated = at;
      if (before !== stream.status) {
        events.push(
          streamEvent(stream, `system.log_stream.lifecycle.${parts[5] === "activate" ? "activate" : "deactivate"}`, at),
        );
      }
      return send(200, view(stream, base));
    }
    if (parts.length === 4 && method === "GET") return send(200, view(stream, base));
    if (parts.length === 4 && method === "PUT") {
      const b = (body ?? {}) as Partial<FakeStream>;
      if (JSON.stringify(b.settings) !== JSON.stringify(stream.settings)) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: settings", ["settings: This property is write-once."]),
        );
      }
      stream.name = String(b.name);
      stream.lastUpdated = new Date().toISOString();
      return send(200, view(stream, base));
    }
    if (parts.length === 4 && method === "DELETE") {
      if (stream.status === "ACTIVE") {
        return send(400, oktaError("E0000001", "Api validation failed: status", ["Deactivate the log stream first."]));
      }
      streams.delete(stream.id);
      return send(204);
    }
    return send(405, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
  };

  type Send = (status: number, json?: unknown, headers?: Record<string, string>) => void;

  /** GET /api/v1/logs. The cursor `after` is the persistence index (polling) or offset (bounded), opaque. */
  const logs = (url: URL, send: Send) => {
    const q = url.searchParams;
    const nowMs = Date.now();
    const since = Date.parse(q.get("since") ?? new Date(nowMs - 7 * 86_400_000).toISOString());
    const untilRaw = q.get("until");
    const until = untilRaw === null ? undefined : Date.parse(untilRaw);
    if (!Number.isFinite(since) || (until !== undefined && !Number.isFinite(until))) {
      return send(400, oktaError("E0000001", "Api validation failed: since", ["since: invalid date"]));
    }
    if (since < nowMs - 180 * 86_400_000) {
      return send(
        400,
        oktaError("E0000001", "Api validation failed: since", ["since: must not be more than 180 days in the past"]),
      );
    }
    const filter = q.get("filter");
    const types = filter === null ? undefined : parseEventTypeFilter(filter);
    if (filter !== null && types === undefined) return send(400, oktaError("E0000031", "Invalid search criteria."));
    const limit = Math.min(Math.max(1, Number(q.get("limit") ?? 100)), 1000, fake.logPageSize);
    const matches = (e: FakeLogEvent) => {
      const t = Date.parse(e.published);
      return t >= since && (until === undefined || t < until) && (types === undefined || types.includes(e.eventType));
    };
    const after = q.get("after");
    let cursor = 0;
    if (after !== null) {
      const decoded = Number(unb64(after));
      if (!Number.isInteger(decoded) || decoded < 0) {
        return send(400, oktaError("E0000001", "Api validation failed: after", ["after: invalid cursor"]));
      }
      cursor = decoded;
    }
    const self = `<${url.toString()}>; rel="self"`;
    const nextUrl = (c: number) => {
      const n = new URL(url);
      n.searchParams.set("after", b64(String(c)));
      return `<${n.toString()}>; rel="next"`;
    };
    if (until === undefined) {
      // Polling: walk persistence order from the cursor; `next` always present.
      const page: Array<FakeLogEvent> = [];
      let i = cursor;
      for (; i < events.length && page.length < limit; i++) {
        const e = events[i]!;
        if (matches(e)) page.push(e);
      }
      return send(200, page, { Link: `${self}, ${nextUrl(i)}` });
    }
    const sorted = events.filter(matches).sort((a, b) => Date.parse(a.published) - Date.parse(b.published));
    const page = sorted.slice(cursor, cursor + limit);
    const more = cursor + limit < sorted.length;
    return send(200, page, { Link: more ? `${self}, ${nextUrl(cursor + limit)}` : self });
  };

  const eventHooks = async (parts: ReadonlyArray<string>, method: string, body: unknown, send: Send) => {
    const id = parts[3];
    if (id === undefined && method === "GET") return send(200, [...hooks.values()]);
    if (id === undefined && method === "POST") {
      const b = (body ?? {}) as Partial<FakeEventHook>;
      const uri = b.channel?.config?.uri;
      if (typeof b.name !== "string" || typeof uri !== "string" || !Array.isArray(b.events?.items)) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: eventHook", ["name, events and channel are required"]),
        );
      }
      if (!uri.startsWith("https://") && !/^http:\/\/127\.0\.0\.1[:/]/.test(uri)) {
        return send(400, oktaError("E0000001", "Api validation failed: channel.config.uri", ["uri: must use https"]));
      }
      const now = new Date().toISOString();
      const hook: FakeEventHook = {
        id: newId("who"),
        name: b.name,
        status: "ACTIVE",
        verificationStatus: "UNVERIFIED",
        events: { type: "EVENT_TYPE", items: [...(b.events?.items ?? [])] },
        channel: {
          type: "HTTP",
          version: "1.0.0",
          config: { uri, headers: b.channel?.config?.headers ?? [], authScheme: b.channel?.config?.authScheme ?? null },
        },
        created: now,
        lastUpdated: now,
      };
      hooks.set(hook.id, hook);
      return send(200, hook);
    }
    const hook = id === undefined ? undefined : hooks.get(id);
    if (hook === undefined) return send(404, oktaError("E0000007", `Not found: Resource not found: ${id} (EventHook)`));
    if (parts.length === 4 && method === "GET") return send(200, hook);
    if (parts.length === 4 && method === "PUT") {
      const b = (body ?? {}) as Partial<FakeEventHook>;
      if (b.name !== undefined) hook.name = b.name;
      if (b.events !== undefined) hook.events = b.events;
      if (b.channel !== undefined) {
        hook.channel = b.channel;
        hook.verificationStatus = "UNVERIFIED";
      }
      return send(200, hook);
    }
    if (parts.length === 4 && method === "DELETE") {
      if (hook.status === "ACTIVE") {
        return send(403, oktaError("E0000056", "Delete is not supported for an active event hook", []));
      }
      hooks.delete(hook.id);
      return send(204);
    }
    if (parts[4] === "lifecycle" && method === "POST") {
      if (parts[5] === "activate") hook.status = "ACTIVE";
      else if (parts[5] === "deactivate") hook.status = "INACTIVE";
      else if (parts[5] === "verify") {
        const challenge = randomUUID();
        const scheme = hook.channel.config.authScheme;
        const headers: Record<string, string> = { "x-okta-verification-challenge": challenge };
        for (const h of hook.channel.config.headers) headers[h.key] = h.value;
        if (scheme !== null && scheme.value !== undefined) headers[scheme.key] = scheme.value;
        let verified = false;
        try {
          const r = await fetch(hook.channel.config.uri, {
            headers,
            signal: AbortSignal.timeout(3000),
            redirect: "manual",
          });
          const answer = (await r.json().catch(() => undefined)) as { verification?: unknown } | undefined;
          verified = r.status === 200 && answer?.verification === challenge;
        } catch {
          verified = false;
        }
        if (!verified) {
          return send(
            400,
            oktaError("E0000001", "Api validation failed: Verification failed", [
              "The event hook endpoint did not return the verification value.",
            ]),
          );
        }
        hook.verificationStatus = "VERIFIED";
      } else return send(404, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
      return send(200, hook);
    }
    return send(405, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify(oktaError("E0000009", `Internal Server Error: ${String(e)}`)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  });
};

/** Sends an Event Hook delivery the way Okta does: POST, the hook's static header, `data.events`. */
export const deliverEventHook = async (
  url: string,
  events: ReadonlyArray<unknown>,
  headers: Readonly<Record<string, string>> = {},
  eventId: string = randomUUID(),
): Promise<Response> =>
  fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify({
      eventType: "com.okta.event_hook",
      eventTypeVersion: "1.0",
      cloudEventsVersion: "0.1",
      source: "https://acme.okta.com/api/v1/eventHooks/whoFake0000000000001",
      eventId,
      eventTime: new Date().toISOString(),
      contentType: "application/json",
      data: { events },
    }),
    signal: AbortSignal.timeout(3000),
  });
