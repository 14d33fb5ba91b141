/**
 * The one HTTP client for every Okta call offboard makes (System Log, log streams, event hooks, users).
 *
 * - **Transport rules**: https only; plain http only to loopback hosts (tests). Redirects are followed
 *   only within the org's origin; a redirect elsewhere is refused (it would carry the credential or
 *   personal data to another host). Every request has a timeout (Okta's own query limit is 30 s).
 * - **Rate limits**: a requests-per-minute cap of our own (`OKTA_MAX_REQUESTS_PER_MINUTE`, default 25,
 *   below the 50% share a token gets of the smallest paid org's 50/min), pacing from Okta's
 *   `X-Rate-Limit-Remaining`/`-Reset` headers so we wait for the reset instead of running into a 429,
 *   and after a 429 (`E0000047`) a wait until `X-Rate-Limit-Reset`, measured against the response's
 *   `Date` so a skewed local clock does not matter.
 * - **Errors** are classified transient (429, 5xx, no response) or permanent (the rest) and carry Okta's
 *   error object bounded and with anything credential-like redacted; the raw body is never quoted.
 * - **Auth**: `SSWS <api token>` or an OAuth 2.0 service app's bearer token (see auth.ts).
 */
import { checkOktaOrgUrl } from "@offboard/core";
import { Redacted } from "effect";
import { clientAssertion, OKTA_READ_SCOPES, type OktaCredentials, secretsOf, signingKey } from "./auth.ts";
import {
  OktaApiError,
  OktaAuthError,
  OktaNetworkError,
  OktaRequestRefusedError,
  OktaRetriesExhaustedError,
} from "./errors.ts";
import { describeOktaError, oktaErrorCode, safeOktaText } from "./safe-text.ts";

/** Our own cap on Okta requests per minute, unless OKTA_MAX_REQUESTS_PER_MINUTE says otherwise. */
export const DEFAULT_OKTA_MAX_REQUESTS_PER_MINUTE = 25;

export interface OktaClientOptions {
  /** The org's base URL, e.g. `https://acme.okta.com` (any path is ignored). */
  readonly orgUrl: string;
  readonly credentials: OktaCredentials;
  /** Custom domains (e.g. `login.acme.com`) declared as this org's, besides Okta's own domains. */
  readonly customDomains?: ReadonlyArray<string> | undefined;
  /** Our own cap on requests per rolling minute (default 25). */
  readonly maxRequestsPerMinute?: number | undefined;
  /** Attempts per request, including the first (default 4). */
  readonly maxAttempts?: number | undefined;
  /** Upper bound on one wait between attempts, in ms (default 60 000: Okta's rate-limit window). */
  readonly maxRetryDelayMs?: number | undefined;
  /** Per-request timeout in ms (default 35 000: Okta's own query timeout is 30 s). */
  readonly requestTimeoutMs?: number | undefined;
  /** Sent as User-Agent (default `offboard`). */
  readonly userAgent?: string | undefined;
  /** How to wait; injectable so tests can record the delays instead of sleeping. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** The local clock in ms (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly fetch?: typeof fetch | undefined;
}

export interface OktaResponse {
  readonly status: number;
  readonly json: unknown;
  readonly headers: Headers;
}

export interface RequestHints {
  /** What a 401 means for this call and what to change. */
  readonly on401?: string;
  /** What a 403 means for this call (which role or scope is missing). */
  readonly on403?: string;
  /** What to do when the retries ran out. */
  readonly onExhausted?: string;
}

/** Counters since the client was made, for progress lines and benchmarks. */
export interface OktaClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  /** Total time spent waiting on our cap, Okta's headers and 429 resets, in ms. */
  waitedMs: number;
}

export interface OktaClient {
  /** The org's origin, e.g. `https://acme.okta.com`. */
  readonly origin: string;
  /** One Okta call, paced, retried and classified. `pathOrUrl` is a path or a same-origin URL (a `next` link). */
  readonly request: (
    operation: string,
    method: string,
    pathOrUrl: string,
    body?: unknown,
    hints?: RequestHints,
  ) => Promise<OktaResponse>;
  readonly stats: OktaClientStats;
}

/**
 * The origin of an Okta org URL, or an OktaRequestRefusedError. Core's `checkOktaOrgUrl` is the rule:
 * https only, to an Okta org domain or a declared custom domain; plain http only for loopback hosts.
 */
export const oktaOrigin = (
  orgUrl: string,
  customDomains: ReadonlyArray<string> = [],
  operation = "configure the Okta client",
): string => {
  const checked = checkOktaOrgUrl(orgUrl, { customDomains });
  if (!checked.ok) throw new OktaRequestRefusedError({ message: checked.message, operation, failure: "permanent" });
  return checked.url.origin;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Methods Okta can safely receive twice; only these are retried after a 5xx or a lost response. */
const IDEMPOTENT = new Set(["GET", "PUT", "DELETE", "HEAD"]);

/**
 * How long to wait before retrying a 429: until `x-rate-limit-reset` (epoch seconds), measured against
 * the response's `Date` header so a skewed clock does not matter; else `Retry-After`; else exponential
 * backoff. Always at least 250 ms and at most `maxMs`.
 */
export const retryDelayMs = (headers: Headers, attempt: number, maxMs: number, now: () => number = Date.now) => {
  const floor = 250;
  const clamp = (ms: number) => Math.min(Math.max(ms, floor), maxMs);
  const reset = untilResetMs(headers, now);
  if (reset !== undefined) return clamp(reset);
  const retryAfter = Number(headers.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers.get("retry-after") !== null) {
    return clamp(retryAfter * 1000);
  }
  return clamp(1000 * 2 ** (attempt - 1));
};

/** Milliseconds until `x-rate-limit-reset`, measured against the response's Date (or our clock). */
const untilResetMs = (headers: Headers, now: () => number): number | undefined => {
  const reset = Number(headers.get("x-rate-limit-reset"));
  if (!Number.isFinite(reset) || reset <= 0 || headers.get("x-rate-limit-reset") === null) return undefined;
  const serverNow = Date.parse(headers.get("date") ?? "");
  const base = Number.isFinite(serverNow) ? serverNow : now();
  return Math.max(0, reset * 1000 - base);
};

/** The `rel="next"` target of an RFC 8288 `Link` header (one header or several joined by commas). */
export const nextLink = (link: string | null): string | undefined => {
  if (link === null) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (m?.[1] !== undefined && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2] ?? "")) return m[1];
  }
  return undefined;
};

const MAX_REDIRECTS = 3;
/** Keep this many requests of Okta's window in reserve for the org's other API clients. */
const HEADER_RESERVE = 1;

export const makeOktaClient = (options: OktaClientOptions): OktaClient => {
  const origin = oktaOrigin(options.orgUrl, options.customDomains);
  const cap = Math.max(1, Math.floor(options.maxRequestsPerMinute ?? DEFAULT_OKTA_MAX_REQUESTS_PER_MINUTE));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 35_000;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? fetch;
  const userAgent = options.userAgent ?? "offboard";
  const credentials = options.credentials;
  const secrets = secretsOf(credentials);
  const stats: OktaClientStats = { requests: 0, retries: 0, rateLimited: 0, waitedMs: 0 };

  /** Local times of the requests sent in the last minute (our own cap). */
  const sent: Array<number> = [];
  /** Okta said the window is (almost) spent: wait until this local time before the next request. */
  let pausedUntil = 0;
  /** One request at a time through the pacing gate, so concurrent callers share the cap fairly. */
  let gate: Promise<void> = Promise.resolve();

  const wait = async (ms: number) => {
    if (ms <= 0) return;
    stats.waitedMs += ms;
    await sleep(ms);
  };

  const pace = async () => {
    const ticket = gate.then(async () => {
      let t = now();
      if (pausedUntil > t) {
        await wait(pausedUntil - t);
        t = now();
      }
      while (sent.length > 0 && sent[0]! <= t - 60_000) sent.shift();
      if (sent.length >= cap) {
        await wait(sent[0]! + 60_000 - t);
        t = now();
        while (sent.length > 0 && sent[0]! <= t - 60_000) sent.shift();
      }
      sent.push(now());
    });
    gate = ticket.catch(() => undefined);
    await ticket;
  };

  const observe = (headers: Headers) => {
    const remaining = Number(headers.get("x-rate-limit-remaining"));
    if (headers.get("x-rate-limit-remaining") === null || !Number.isFinite(remaining)) return;
    if (remaining <= HEADER_RESERVE) {
      const ms = untilResetMs(headers, now);
      if (ms !== undefined) pausedUntil = Math.max(pausedUntil, now() + Math.min(ms, maxRetryDelayMs));
    }
  };

  const resolveUrl = (pathOrUrl: string, operation: string): URL => {
    let url: URL;
    try {
      url = /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(pathOrUrl, origin);
    } catch {
      throw new OktaRequestRefusedError({ message: `Okta ${operation}: not a URL`, operation, failure: "permanent" });
    }
    if (url.origin !== origin) {
      throw new OktaRequestRefusedError({
        message: `Okta ${operation}: refusing to send a request to ${safeOktaText(url.origin, secrets, 100)}, outside the org ${origin}`,
        operation,
        failure: "permanent",
      });
    }
    return url;
  };

  /** One HTTP exchange: transport rules, timeout, same-origin redirects. No retries, no pacing. */
  const exchange = async (
    operation: string,
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<OktaResponse> => {
    let current = url;
    for (let hop = 0; ; hop++) {
      stats.requests += 1;
      let res: Response;
      try {
        res = await fetchImpl(current, {
          method,
          headers,
          redirect: "manual",
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
        throw new OktaNetworkError({
          message: `Okta ${operation} (${method} ${current.pathname}) got no response${
            timedOut
              ? ` within ${requestTimeoutMs} ms`
              : `: ${safeOktaText(cause instanceof Error ? cause.message : String(cause), secrets)}`
          }`,
          operation,
          failure: "transient",
          cause: timedOut ? "timeout" : safeOktaText(String(cause), secrets),
        });
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get("location") !== null) {
        await res.body?.cancel();
        const target = new URL(res.headers.get("location") ?? "", current);
        if (target.origin !== origin || hop >= MAX_REDIRECTS) {
          throw new OktaRequestRefusedError({
            message:
              target.origin !== origin
                ? `Okta ${operation}: refusing a ${res.status} redirect to ${safeOktaText(target.origin, secrets, 100)}, outside the org ${origin}`
                : `Okta ${operation}: more than ${MAX_REDIRECTS} redirects`,
            operation,
            failure: "permanent",
          });
        }
        current = target;
        continue;
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, json, headers: res.headers };
    }
  };

  // ── OAuth 2.0 service app: a cached access token ───────────────────────────────────────────────
  let accessToken: { value: Redacted.Redacted<string>; expiresAt: number } | undefined;
  const key =
    credentials.type === "service-app"
      ? signingKey(Redacted.value(credentials.privateKey), credentials.keyId)
      : undefined;

  const fetchAccessToken = async (): Promise<Redacted.Redacted<string>> => {
    if (credentials.type !== "service-app" || key === undefined) throw new Error("unreachable");
    if (accessToken !== undefined && accessToken.expiresAt > now() + 60_000) return accessToken.value;
    const tokenUrl = `${origin}/oauth2/v1/token`;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      scope: [...(credentials.scopes ?? OKTA_READ_SCOPES)].join(" "),
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion(credentials.clientId, tokenUrl, key, now()),
    });
    const operation = "get an OAuth access token";
    for (let attempt = 1; ; attempt++) {
      await pace();
      let res: OktaResponse;
      try {
        res = await exchange(
          operation,
          "POST",
          new URL(tokenUrl),
          {
            Accept: "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": userAgent,
          },
          form.toString(),
        );
      } catch (e) {
        if (e instanceof OktaNetworkError && attempt < maxAttempts) {
          stats.retries += 1;
          await wait(retryDelayMs(new Headers(), attempt, maxRetryDelayMs, now));
          continue;
        }
        throw e;
      }
      observe(res.headers);
      const body = (typeof res.json === "object" && res.json !== null ? res.json : {}) as Record<string, unknown>;
      if (res.status === 200 && typeof body.access_token === "string") {
        const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
        accessToken = { value: Redacted.make(body.access_token), expiresAt: now() + ttl * 1000 };
        return accessToken.value;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < maxAttempts) {
        stats.retries += 1;
        if (res.status === 429) stats.rateLimited += 1;
        await wait(retryDelayMs(res.headers, attempt, maxRetryDelayMs, now));
        continue;
      }
      // OAuth errors: { error, error_description }.
      const reason = [body.error, body.error_description]
        .filter((s): s is string => typeof s === "string")
        .map((s) => safeOktaText(s, secrets))
        .join(": ");
      const message = `Okta refused the service app's token request (HTTP ${res.status}${reason.length > 0 ? ` ${reason}` : ""}). Check OKTA_CLIENT_ID, that OKTA_PRIVATE_KEY's public key is registered on the app, that the app is granted ${[...(credentials.scopes ?? OKTA_READ_SCOPES)].join(" and ")}, and that it does not require DPoP.`;
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        throw new OktaAuthError({
          message,
          operation,
          status: res.status === 403 ? 403 : 401,
          failure: "permanent",
          errorCode: typeof body.error === "string" ? safeOktaText(body.error, secrets, 40) : undefined,
        });
      }
      throw new OktaRetriesExhaustedError({
        message,
        operation,
        status: res.status,
        attempts: attempt,
        failure: "transient",
      });
    }
  };

  const authorization = async (): Promise<string> =>
    credentials.type === "api-token"
      ? `SSWS ${Redacted.value(credentials.token)}`
      : `Bearer ${Redacted.value(await fetchAccessToken())}`;

  const request: OktaClient["request"] = async (operation, method, pathOrUrl, body, hints = {}) => {
    const url = resolveUrl(pathOrUrl, operation);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {
        Accept: "application/json",
        ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
        Authorization: await authorization(),
        "User-Agent": userAgent,
      };
      await pace();
      let res: OktaResponse;
      try {
        res = await exchange(operation, method, url, headers, payload);
      } catch (e) {
        if (e instanceof OktaNetworkError && attempt < maxAttempts && IDEMPOTENT.has(method)) {
          stats.retries += 1;
          await wait(retryDelayMs(new Headers(), attempt, maxRetryDelayMs, now));
          continue;
        }
        throw e;
      }
      if (res.status >= 200 && res.status < 300) {
        observe(res.headers);
        return res;
      }
      if (res.status === 401 && credentials.type === "service-app" && !renewedToken) {
        // The access token may have been revoked or expired early: get a new one, once.
        renewedToken = true;
        accessToken = undefined;
        attempt -= 1;
        continue;
      }
      const retryable = res.status === 429 || (res.status >= 500 && IDEMPOTENT.has(method));
      if (res.status === 429) stats.rateLimited += 1;
      if (retryable && attempt < maxAttempts) {
        stats.retries += 1;
        // The retry waits for the reset itself; the header pause would only wait a second time.
        pausedUntil = 0;
        await wait(retryDelayMs(res.headers, attempt, maxRetryDelayMs, now));
        continue;
      }
      observe(res.headers);
      const described = describeOktaError(res.status, res.json, secrets);
      const errorCode = oktaErrorCode(res.json);
      if (retryable) {
        throw new OktaRetriesExhaustedError({
          message: `Okta ${operation} still failed after ${attempt} attempts (${described}). ${
            hints.onExhausted ??
            (res.status === 429
              ? "The org's rate limit is exhausted; lower OKTA_MAX_REQUESTS_PER_MINUTE or retry in a minute."
              : "Okta is having trouble; retry later.")
          }`,
          operation,
          status: res.status,
          attempts: attempt,
          failure: "transient",
        });
      }
      if (res.status === 401) {
        throw new OktaAuthError({
          message: `Okta refused the credentials for ${operation} (${described}). ${
            hints.on401 ??
            (credentials.type === "api-token"
              ? `Check OKTA_API_TOKEN: it must be a current, unrevoked token of ${origin}.`
              : "Check the service app's credentials and scopes.")
          }`,
          operation,
          status: 401,
          failure: "permanent",
          errorCode,
        });
      }
      if (res.status === 403) {
        throw new OktaAuthError({
          message: `Okta denied ${operation} (${described}). ${hints.on403 ?? "The credential lacks the permission for this call."}`,
          operation,
          status: 403,
          failure: "permanent",
          errorCode,
        });
      }
      const errorSummary =
        typeof (res.json as { errorSummary?: unknown } | undefined)?.errorSummary === "string"
          ? safeOktaText((res.json as { errorSummary: string }).errorSummary, secrets)
          : undefined;
      throw new OktaApiError({
        message: `Okta ${operation} failed (${described})`,
        operation,
        status: res.status,
        failure: res.status >= 500 || res.status === 429 ? "transient" : "permanent",
        errorCode,
        errorSummary,
      });
    }
  };

  return { origin, request, stats };
};
