import type { DeliveryContext, LifecycleKind, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import { LIFECYCLE_KINDS, SinkError } from "@offboard/core";
import { Duration, Effect, Redacted, Schedule } from "effect";
import type { Version3Models, Version3Parameters } from "jira.js";
// The version3 entry point alone: the root one also pulls in the Agile, Service Desk and v2 clients.
import type { Version3Client } from "jira.js/version3";
import {
  buildJiraComment,
  buildJiraIssueFields,
  JIRA_PROPERTY_KEY,
  offboardProperty,
  userLabel,
} from "./jira-issue.ts";
import type { JiraSettings } from "./settings.ts";
import type { SettingsReader, SinkDefinition } from "./sink-definition.ts";

/**
 * The Jira sink: one issue per event of a configured kind (default: deactivated), guarded against
 * duplicates by an entity property carrying the Okta event uuid; follow-ups (reactivated) comment on
 * the case's issue and, when configured, transition it. Jira Cloud REST v3 through jira.js. An event
 * that arrived after a later one of the same user (`context.supersededBy`) touches no ticket.
 */

export const JIRA_SINK = "jira";

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

/** Network errors raised before the request reached Jira: repeating the request cannot duplicate anything. */
const NOT_SENT: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/** True for a failure whose request never reached Jira. */
const neverSent = (e: SinkError): boolean => {
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
    const wait = status === 429 ? retryAfterMs(header(res?.headers, "retry-after")) : undefined;
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
    message: `Jira ${what}: ${timedOut ? "no answer in time" : `request failed (${code ?? (typeof e.message === "string" ? e.message : "unknown error")})`}`,
    cause: { code },
  });
};

/** The jira.js client the sink uses: basic auth (email + API token), per-request timeout. */
export const makeJiraClient = async (settings: JiraSettings): Promise<Version3Client> => {
  const { Version3Client } = await import("jira.js/version3");
  return new Version3Client({
    host: settings.baseUrl,
    authentication: { basic: { email: settings.email, apiToken: Redacted.value(settings.apiToken) } },
    baseRequestConfig: { timeout: settings.timeoutMs },
  });
};

/** Quotes a JQL string literal. */
export const jqlString = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The duplicate-guard query: this project's issues carrying the user's label, newest first. */
export const duplicateGuardJql = (projectKey: string, subjectId: string): string =>
  `project = ${jqlString(projectKey)} AND labels = ${jqlString(userLabel(subjectId))} ORDER BY created DESC`;

/** Receipt refs of a case that name no issue. */
const NO_ISSUE: ReadonlySet<string> = new Set(["none", "skipped", "superseded"]);

interface SearchIssue {
  readonly id?: string;
  readonly key?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** Builds the Jira sink (name "jira") from its settings. */
export const makeJiraSink = (settings: JiraSettings): Sink => {
  // Loaded on the first delivery (a batch of suspensions never loads jira.js), then kept.
  let client: Promise<Version3Client> | undefined;
  const base = settings.baseUrl.replace(/\/+$/, "");
  const browse = (key: string) => `${base}/browse/${encodeURIComponent(key)}`;
  const kinds = new Set(settings.kinds);

  /** One vendor call, classified. */
  const call = <A>(what: string, f: (client: Version3Client) => Promise<A>) =>
    Effect.tryPromise({
      try: async () => {
        client ??= makeJiraClient(settings);
        return f(await client);
      },
      catch: (cause) => classifyJiraError(cause, what),
    });

  /**
   * Bounded retries of 5xx, 408 and network failures inside one attempt: at most `maxRetries`, none
   * started once `timeoutMs` has passed since the first try (so a slow Jira costs about two timeouts,
   * not `maxRetries + 1`). 429 is not retried here: it goes back with Retry-After for the core.
   * `retryable` narrows which transient failures may be repeated (the create: only those where the
   * request never reached Jira).
   */
  const retrying = <A>(eff: Effect.Effect<A, SinkError>, retryable: (e: SinkError) => boolean = () => true) =>
    Effect.suspend(() => {
      const start = Date.now();
      return eff.pipe(
        Effect.retry({
          schedule: Schedule.exponential(Duration.millis(100), 2),
          times: Math.max(0, settings.maxRetries),
          while: (e: SinkError) =>
            e.failure === "transient" && e.code !== "429" && retryable(e) && Date.now() - start < settings.timeoutMs,
        }),
      );
    });

  /** The issue this event already created, if any: found by label, confirmed by the property. */
  const findExisting = (event: OffboardingEvent) =>
    call("search (duplicate guard)", (client) =>
      client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
        jql: duplicateGuardJql(settings.projectKey, event.subject.id),
        fields: ["summary"],
        properties: [JIRA_PROPERTY_KEY],
        maxResults: 50,
      }),
    ).pipe(
      Effect.map((res) =>
        ((res.issues ?? []) as ReadonlyArray<SearchIssue>).find((issue) => {
          const prop = issue.properties?.[JIRA_PROPERTY_KEY] as { eventId?: unknown } | undefined;
          return prop?.eventId === event.id && typeof issue.key === "string";
        }),
      ),
    );

  /**
   * The create. Retried inside the attempt only when the request cannot have reached Jira (connection
   * refused, name not resolved). After any other failure (5xx, 408, timeout, reset) Jira may have made
   * the issue, and its search is eventually consistent: a search 100 ms later usually misses an issue
   * just made. So the attempt fails transiently and SQS redelivers the record minutes later, when the
   * duplicate guard's search finds the issue if it exists.
   */
  const createIssue = (event: OffboardingEvent, ctx: DeliveryContext) =>
    retrying(
      call("create issue", (client) =>
        client.issues.createIssue({
          fields: buildJiraIssueFields(event, ctx, settings) as unknown as Version3Parameters.CreateIssue["fields"],
          properties: [{ key: JIRA_PROPERTY_KEY, value: offboardProperty(event) }],
        }),
      ),
      neverSent,
    ).pipe(
      Effect.mapError((e) =>
        e.failure === "transient" && e.code !== "429" && !neverSent(e)
          ? new SinkError({
              sink: e.sink,
              failure: "transient",
              message: `${e.message} (the issue may exist: the redelivery's duplicate guard will look for it)`,
              ...(e.code !== undefined && { code: e.code }),
              cause: e.cause,
            })
          : e,
      ),
    );

  /** Search (retried), then create (not repeated inside the attempt after an ambiguous failure). */
  const open = Effect.fn("JiraSink.open")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const existing = yield* retrying(findExisting(event));
    if (existing?.key !== undefined) {
      return {
        sink: JIRA_SINK,
        ref: existing.key,
        url: browse(existing.key),
        alreadyExisted: true,
        ...(existing.id !== undefined && { detail: { id: existing.id } }),
      } satisfies Receipt;
    }
    const created = yield* createIssue(event, ctx);
    if (typeof created.key !== "string") {
      return yield* new SinkError({
        sink: JIRA_SINK,
        failure: "permanent",
        code: "no_key",
        message: "Jira create issue answered without an issue key",
      });
    }
    return {
      sink: JIRA_SINK,
      ref: created.key,
      url: browse(created.key),
      ...(typeof created.id === "string" && { detail: { id: created.id } }),
    } satisfies Receipt;
  });

  /** Applies the configured transition by name; false when the issue's workflow does not offer it now. */
  const transition = (key: string, name: string) =>
    Effect.gen(function* () {
      const res = yield* retrying(
        call("get transitions", (client) => client.issues.getTransitions({ issueIdOrKey: key })),
      );
      const wanted = name.trim().toLowerCase();
      const t = (res.transitions ?? []).find((x) => x.name?.trim().toLowerCase() === wanted);
      if (t?.id === undefined) return false;
      const id = t.id;
      yield* retrying(
        call("transition issue", (client) => client.issues.doTransition({ issueIdOrKey: key, transition: { id } })),
      );
      return true;
    });

  const followUp = Effect.fn("JiraSink.followUp")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const issue = ctx.case?.receipts.jira;
    if (issue === undefined || NO_ISSUE.has(issue.ref)) {
      return {
        sink: JIRA_SINK,
        ref: "none",
        detail: { reason: `no Jira issue on this user's case; nothing to comment on for ${event.kind}` },
      } satisfies Receipt;
    }
    const key = issue.ref;
    return yield* commentOn(key, issue, event, ctx).pipe(
      // The case's issue was deleted or moved to a project we cannot see: there is no ticket any more.
      // Failing would dead-letter the record on every redrive and hold back the other sinks' follow-up.
      Effect.catchIf(
        (e) => e.code === "404",
        (e) =>
          Effect.logWarning(`Jira case issue ${key} not found (${e.message}); nothing to comment on`).pipe(
            Effect.as({
              sink: JIRA_SINK,
              ref: "none",
              detail: { note: `case issue ${key} not found` },
            } satisfies Receipt),
          ),
      ),
    );
  });

  /** Transition (when configured) and comment on the case's issue. */
  const commentOn = Effect.fnUntraced(function* (
    key: string,
    issue: Receipt,
    event: OffboardingEvent,
    ctx: DeliveryContext,
  ) {
    // Transition first (repeating it is harmless: it is simply no longer offered), comment last.
    const name = settings.reactivateTransition;
    const applied = name !== undefined && event.kind === "reactivated" ? yield* transition(key, name) : undefined;
    const comment = yield* retrying(
      call("add comment", (client) =>
        client.issueComments.addComment({
          issueIdOrKey: key,
          comment: buildJiraComment(
            event,
            ctx,
            name !== undefined && applied !== undefined ? { name, applied } : undefined,
          ) as unknown as Version3Models.Document,
        }),
      ),
    );
    return {
      sink: JIRA_SINK,
      ref: key,
      url: issue.url ?? browse(key),
      detail: {
        ...(typeof comment.id === "string" && { comment: comment.id }),
        ...(name !== undefined && applied !== undefined && { transition: applied ? name : `${name} (not available)` }),
      },
    } satisfies Receipt;
  });

  const deliver = Effect.fn("JiraSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const later = ctx.supersededBy;
    if (later !== undefined) {
      // The user's state moved on before this event arrived (a deactivation after the reactivation that
      // undid it): no offboarding ticket, no comment or transition on the case's ticket.
      return {
        sink: JIRA_SINK,
        ref: "superseded",
        detail: {
          reason: `arrived after the user was ${later.kind} at ${later.occurredAt}; no Jira change for this ${event.kind}`,
          ...(later.eventId !== undefined && { laterEvent: later.eventId }),
        },
      } satisfies Receipt;
    }
    if (ctx.followUp) return yield* followUp(event, ctx);
    if (!kinds.has(event.kind)) {
      return {
        sink: JIRA_SINK,
        ref: "skipped",
        detail: { reason: `${event.kind} is not in the Jira kinds (${[...kinds].join(", ") || "none"})` },
      } satisfies Receipt;
    }
    return yield* open(event, ctx);
  });

  return { name: JIRA_SINK, deliver };
};

export const DEFAULT_JIRA_ISSUE_TYPE = "Task";
export const DEFAULT_JIRA_KINDS: ReadonlyArray<LifecycleKind> = ["deactivated"];

/** The downstream steps a Jira offboarding ticket lists when JIRA_CHECKLIST is not set. */
export const DEFAULT_JIRA_CHECKLIST: ReadonlyArray<string> = [
  "Revoke active SaaS sessions and OAuth grants (Google Workspace, Microsoft 365, Slack, GitHub)",
  "Transfer Google Drive / OneDrive files to the manager",
  "Archive or delegate the mailbox and set an auto-reply",
  "Recover the laptop and other hardware; wipe or lock it through MDM",
  "Remove from payroll and benefits",
  "Rotate shared credentials and secrets the person knew",
  "Remove from on-call rotations, distribution lists and shared drives",
];

/** A comma list of lifecycle kinds; unknown ones are named in one problem. */
const readKinds = (r: SettingsReader, name: string): ReadonlyArray<LifecycleKind> | undefined => {
  const items = r.list(name, ",");
  if (items === undefined) return undefined;
  const unknown = items.filter((k) => !(LIFECYCLE_KINDS as ReadonlyArray<string>).includes(k));
  if (unknown.length > 0) {
    r.problems.push(
      `${name} has unknown kind${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; known kinds are ${LIFECYCLE_KINDS.join(", ")}`,
    );
    return undefined;
  }
  return items as ReadonlyArray<LifecycleKind>;
};

/**
 * The Jira sink's configuration: active with JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and
 * JIRA_PROJECT_KEY; rows in docs/configuration.md.
 */
export const jiraSink: SinkDefinition<JiraSettings> = {
  name: JIRA_SINK,
  keys: [
    { name: "JIRA_BASE_URL", secret: false, description: "Jira Cloud site, e.g. https://acme.atlassian.net" },
    { name: "JIRA_EMAIL", secret: false, description: "Email of the Atlassian account the API token belongs to" },
    { name: "JIRA_API_TOKEN", secret: true, description: "Atlassian API token of that account" },
    { name: "JIRA_PROJECT_KEY", secret: false, description: "Project the tickets go to, e.g. IT" },
    {
      name: "JIRA_ISSUE_TYPE",
      secret: false,
      default: DEFAULT_JIRA_ISSUE_TYPE,
      description: "Issue type name of the tickets",
    },
    {
      name: "JIRA_KINDS",
      secret: false,
      default: DEFAULT_JIRA_KINDS.join(","),
      description: "Comma list of lifecycle kinds that open a ticket",
    },
    {
      name: "JIRA_CHECKLIST",
      secret: false,
      default: "(seven standard steps)",
      description: "Offboarding steps listed in each ticket, `;`-separated",
    },
    {
      name: "JIRA_REACTIVATE_TRANSITION",
      secret: false,
      description: "Workflow transition applied to the case's ticket on reactivation",
    },
    { name: "JIRA_LABELS", secret: false, description: "Comma list of extra labels" },
  ],
  requires: ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"],
  read: (r) => {
    const baseUrl = r.url("JIRA_BASE_URL", { credentials: true });
    const email = r.string("JIRA_EMAIL");
    if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      r.problems.push("JIRA_EMAIL must be the email address of the Atlassian account the API token belongs to");
    }
    const apiToken = r.redacted("JIRA_API_TOKEN");
    const projectKey = r.string("JIRA_PROJECT_KEY");
    if (projectKey !== undefined && !/^[A-Z][A-Z0-9_]+$/.test(projectKey)) {
      r.problems.push("JIRA_PROJECT_KEY must be a project key such as IT or SEC (capital letters, digits, underscore)");
    }
    const issueType = r.string("JIRA_ISSUE_TYPE") ?? DEFAULT_JIRA_ISSUE_TYPE;
    const kinds = readKinds(r, "JIRA_KINDS") ?? DEFAULT_JIRA_KINDS;
    const checklist = r.list("JIRA_CHECKLIST", ";") ?? DEFAULT_JIRA_CHECKLIST;
    const reactivateTransition = r.string("JIRA_REACTIVATE_TRANSITION");
    const labels = r.list("JIRA_LABELS", ",") ?? [];
    if (labels.some((l) => /\s/.test(l))) {
      r.problems.push("JIRA_LABELS must be a comma-separated list of labels without spaces");
    }
    if (baseUrl === undefined || email === undefined || apiToken === undefined || projectKey === undefined) {
      return undefined;
    }
    return {
      baseUrl,
      email,
      apiToken,
      projectKey,
      issueType,
      kinds,
      checklist,
      ...(reactivateTransition !== undefined ? { reactivateTransition } : {}),
      labels,
      timeoutMs: 5_000,
      maxRetries: 2,
    };
  },
  make: makeJiraSink,
  describe: (j) =>
    `project ${j.projectKey} at ${j.baseUrl}, issue type ${j.issueType}, tickets for ${j.kinds.join(", ")}${j.reactivateTransition !== undefined ? `, reactivation transition "${j.reactivateTransition}"` : ""}`,
};
