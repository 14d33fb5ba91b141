/**
 * The Okta Event Hook receiver, shared by the Lambda (behind a Function URL) and `offboard hook serve`.
 *
 * - `GET` with `x-okta-verification-challenge`: Okta's one-time verification; answered
 *   `{"verification": "<that value>"}` once the header secret checks out.
 * - `POST` with `{"eventType":"com.okta.event_hook", "data": {"events": [...]}}`: the events are handed to
 *   `deliver` (the worker's queue, or the local pipeline) and answered 204 within Okta's 3 s.
 * - The static header secret Okta sends on every request is compared in constant time. A wrong or missing
 *   secret is a 401, a body that is not an Event Hook a 400: Okta never retries a 4xx. Only a failed
 *   hand-off is a 5xx (503), so Okta's single retry can help; the retry is a duplicate the ledger skips.
 *
 * Nothing from the request is ever echoed except the verification value Okta asked for (checked to be a
 * short token); log lines carry user-controlled values only as JSON string values.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface HookRequest {
  readonly method: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
}

export interface HookResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface EventHookReceiverOptions {
  /** The header carrying the secret (default `authorization`). */
  readonly headerName?: string | undefined;
  /** The secret Okta was configured to send. */
  readonly secret: () => Promise<string>;
  /**
   * Reads the secret again after a mismatch (a rotated secret), at most once a minute so a flood of bad
   * requests cannot hammer the secret store.
   */
  readonly refreshSecret?: (() => Promise<string>) | undefined;
  /** Hands the batch's events on. Rejecting (or exceeding `timeoutMs`) answers 503. */
  readonly deliver: (
    events: ReadonlyArray<unknown>,
    meta: { readonly eventId: string | undefined; readonly signal: AbortSignal },
  ) => Promise<void>;
  /** Budget for `deliver`, below Okta's 3 s (default 2500 ms). */
  readonly timeoutMs?: number | undefined;
  readonly log?: ((entry: Record<string, unknown>) => void) | undefined;
  readonly now?: (() => number) | undefined;
}

/** The Event Hook body type Okta sends. */
export const EVENT_HOOK_EVENT_TYPE = "com.okta.event_hook";

const json = (statusCode: number, value: unknown): HookResponse => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(value),
});

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time equality of two strings (compared as SHA-256 digests, so lengths do not leak either). */
export const secretMatches = (given: string | undefined, expected: string): boolean =>
  given !== undefined && expected.length > 0 && timingSafeEqual(digest(given), digest(expected));

/** Okta's challenge is a short random token; anything else is not echoed. */
const CHALLENGE = /^[A-Za-z0-9_\-.~+/=]{1,200}$/;

export const makeEventHookReceiver = (options: EventHookReceiverOptions) => {
  const headerName = (options.headerName ?? "authorization").toLowerCase();
  const timeoutMs = options.timeoutMs ?? 2500;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
  let lastRefresh = 0;

  const authorised = async (req: HookRequest): Promise<boolean> => {
    const given = req.headers[headerName];
    if (secretMatches(given, await options.secret())) return true;
    if (options.refreshSecret !== undefined && given !== undefined && now() - lastRefresh > 60_000) {
      lastRefresh = now();
      return secretMatches(given, await options.refreshSecret());
    }
    return false;
  };

  return async (req: HookRequest): Promise<HookResponse> => {
    const method = req.method.toUpperCase();
    if (method !== "GET" && method !== "POST") return json(405, { error: "method not allowed" });
    let ok: boolean;
    try {
      ok = await authorised(req);
    } catch (e) {
      log({ level: "ERROR", message: "event hook secret unavailable", error: e instanceof Error ? e.name : "Error" });
      return json(500, { error: "the receiver cannot read its secret" });
    }
    if (!ok) {
      log({ level: "WARN", message: "event hook request refused: wrong or missing secret", method });
      return json(401, { error: "unauthorized" });
    }
    if (method === "GET") {
      const challenge = req.headers["x-okta-verification-challenge"];
      if (challenge === undefined || !CHALLENGE.test(challenge)) {
        return json(400, { error: "expected Okta's x-okta-verification-challenge header" });
      }
      log({ level: "INFO", message: "event hook verified" });
      return json(200, { verification: challenge });
    }
    let body: unknown;
    try {
      body = JSON.parse(req.body ?? "");
    } catch {
      log({ level: "WARN", message: "event hook body refused: not JSON" });
      return json(400, { error: "the body is not JSON" });
    }
    const hook = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : undefined;
    const data = hook?.data;
    const events = typeof data === "object" && data !== null ? (data as { events?: unknown }).events : undefined;
    if (hook?.eventType !== EVENT_HOOK_EVENT_TYPE || !Array.isArray(events)) {
      log({ level: "WARN", message: "event hook body refused: not an Okta Event Hook delivery" });
      return json(400, { error: `expected {"eventType":"${EVENT_HOOK_EVENT_TYPE}","data":{"events":[...]}}` });
    }
    const eventId = typeof hook.eventId === "string" ? hook.eventId.slice(0, 100) : undefined;
    if (events.length === 0) return { statusCode: 204, headers: {}, body: "" };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`hand-off took longer than ${timeoutMs} ms`)), timeoutMs);
    try {
      await Promise.race([
        options.deliver(events, { eventId, signal: controller.signal }),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), { once: true }),
        ),
      ]);
    } catch (e) {
      log({
        level: "ERROR",
        message: "event hook batch not handed off; Okta will retry once",
        eventId,
        events: events.length,
        error: e instanceof Error ? e.message.slice(0, 300) : "unknown",
      });
      return json(503, { error: "the events could not be queued; retry" });
    } finally {
      clearTimeout(timer);
    }
    log({ level: "INFO", message: "event hook batch queued", eventId, events: events.length });
    return { statusCode: 204, headers: {}, body: "" };
  };
};
