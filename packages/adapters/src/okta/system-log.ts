/**
 * Reading Okta's System Log (`GET /api/v1/logs`) the way Okta documents for pollers:
 *
 * - the first request carries `since`, `sortOrder=ASCENDING`, the server-side `filter` on the event types
 *   and `limit`; without `until` (polling) Okta always answers with a `Link: <…>; rel="next"`, also when
 *   the page is empty, and that link is the only way on: we never build `after` ourselves and never page
 *   with since/until windows (both skip or duplicate events);
 * - a poll stops at the first empty page and keeps its `next` link as the checkpoint of the next poll;
 * - a bounded query (`until`) is finite: it stops when there is no `next` link (or a page is empty).
 *
 * Retention is 90 days; a `since` more than 180 days back is refused by Okta (400), so we refuse it first.
 */
import { nextLink, type OktaClient, type RequestHints } from "./client.ts";
import { OktaRequestRefusedError } from "./errors.ts";

/** Okta's largest page for /api/v1/logs. */
export const SYSTEM_LOG_MAX_LIMIT = 1000;
/** Okta refuses a `since` further back than this. */
export const SYSTEM_LOG_MAX_LOOKBACK_DAYS = 180;

export interface SystemLogQuery {
  /** ISO 8601 instant: the first event's earliest `published`. */
  readonly since: string;
  /** ISO 8601 instant; absent for polling. */
  readonly until?: string | undefined;
  /** Server-side filter: only these event types. Empty or absent: every event. */
  readonly eventTypes?: ReadonlyArray<string> | undefined;
  /** Events per page (1–1000, default 1000). */
  readonly limit?: number | undefined;
}

export interface SystemLogPage {
  /** The page's LogEvents as Okta sent them (decoding is the core's job). */
  readonly events: ReadonlyArray<unknown>;
  /** Okta's `rel="next"` link, when it sent one: the only way to the next page. */
  readonly next: string | undefined;
}

export interface SystemLogReader {
  /** The path and query of the first request of a query (exposed for tests and the docs). */
  readonly firstRequest: (q: SystemLogQuery) => string;
  /** One page: the first of a query, or the page behind a `next` link (a checkpoint). */
  readonly page: (from: SystemLogQuery | { readonly next: string }) => Promise<SystemLogPage>;
  /**
   * Every page from a query or a checkpoint, in order. Polling (no `until`) ends at the first empty
   * page; a bounded query ends when there is no `next` link. `onPage` sees each page with the link that
   * follows it: persist that link as the checkpoint once the page's events are safely handed on.
   */
  readonly readAll: (
    from: SystemLogQuery | { readonly next: string },
    onPage: (page: SystemLogPage) => Promise<void>,
    options?: { readonly maxPages?: number },
  ) => Promise<{ readonly pages: number; readonly events: number; readonly next: string | undefined }>;
}

const refuse = (message: string) =>
  new OktaRequestRefusedError({ message, operation: "read the System Log", failure: "permanent" });

const instant = (name: string, value: string, nowMs: number): number => {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !Number.isFinite(ms)) {
    throw refuse(
      `${name} must be an ISO 8601 instant such as 2026-11-01T00:00:00Z, got ${JSON.stringify(value.slice(0, 60))}`,
    );
  }
  if (ms > nowMs + 60_000) throw refuse(`${name} ${value} is in the future`);
  return ms;
};

/** The `filter` expression for a list of event types: `eventType eq "a" or eventType eq "b"`. */
export const eventTypeFilter = (eventTypes: ReadonlyArray<string>): string =>
  eventTypes
    .map((t) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(t))
        throw refuse(`event type ${JSON.stringify(t.slice(0, 60))} is not an Okta event type`);
      return `eventType eq "${t}"`;
    })
    .join(" or ");

const HINTS: RequestHints = {
  on403:
    "The credential may not read the System Log: use a read-only admin's API token, or grant okta.logs.read to the service app.",
  onExhausted: "Okta's rate limit for /api/v1/logs is exhausted; lower OKTA_MAX_REQUESTS_PER_MINUTE or retry later.",
};

export const oktaSystemLog = (okta: OktaClient, now: () => number = Date.now): SystemLogReader => {
  const firstRequest = (q: SystemLogQuery): string => {
    const t = now();
    const since = instant("since", q.since, t);
    if (since < t - SYSTEM_LOG_MAX_LOOKBACK_DAYS * 86_400_000) {
      throw refuse(
        `since ${q.since} is more than ${SYSTEM_LOG_MAX_LOOKBACK_DAYS} days back, which Okta refuses (and it keeps only 90 days of events)`,
      );
    }
    if (q.until !== undefined && instant("until", q.until, t + 365 * 86_400_000) <= since) {
      throw refuse(`until ${q.until} must be after since ${q.since}`);
    }
    const limit = q.limit ?? SYSTEM_LOG_MAX_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > SYSTEM_LOG_MAX_LIMIT) {
      throw refuse(`limit must be a whole number from 1 to ${SYSTEM_LOG_MAX_LIMIT}`);
    }
    const params = new URLSearchParams({ since: new Date(since).toISOString() });
    if (q.until !== undefined) params.set("until", new Date(Date.parse(q.until)).toISOString());
    if (q.eventTypes !== undefined && q.eventTypes.length > 0) params.set("filter", eventTypeFilter(q.eventTypes));
    params.set("sortOrder", "ASCENDING");
    params.set("limit", String(limit));
    return `/api/v1/logs?${params.toString()}`;
  };

  const page: SystemLogReader["page"] = async (from) => {
    const target = "next" in from ? from.next : firstRequest(from);
    const res = await okta.request("read the System Log", "GET", target, undefined, HINTS);
    if (!Array.isArray(res.json)) {
      throw refuse(
        `Okta answered /api/v1/logs with ${res.json === undefined ? "no JSON" : "JSON that is not an array"}`,
      );
    }
    return { events: res.json, next: nextLink(res.headers.get("link")) };
  };

  const readAll: SystemLogReader["readAll"] = async (from, onPage, options = {}) => {
    const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
    let current: SystemLogQuery | { readonly next: string } = from;
    let pages = 0;
    let events = 0;
    let next: string | undefined = "next" in from ? from.next : undefined;
    while (pages < maxPages) {
      const p = await page(current);
      pages += 1;
      events += p.events.length;
      await onPage(p);
      if (p.next !== undefined) next = p.next;
      if (p.events.length === 0 || p.next === undefined) break;
      current = { next: p.next };
    }
    return { pages, events, next };
  };

  return { firstRequest, page, readAll };
};
