import type { CaseSettings, CaseStep, DeliveryContext, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import {
  caseStateOf,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  RECEIPT_REF,
  refNamesArtefact,
  SinkError,
  stepCase,
  ticketOf,
} from "@offboard/core";
import { Clock, Duration, Effect, Schedule } from "effect";
import type { Version3Models, Version3Parameters } from "jira.js";
import { paced } from "../coordination/pacing.ts";
import { duplicateGuardJql, type LazyJiraClient, makeJiraClient } from "./client.ts";
import { backoffMs, classifyJiraError, neverSent } from "./errors.ts";
import { buildJiraComment, buildJiraIssueFields, JIRA_PROPERTY_KEY, offboardProperty } from "./issue.ts";
import { JIRA_SINK, type JiraSettings } from "./settings.ts";

/**
 * The Jira sink: the ticket side of the user's case. It carries out the case's ticket action
 * (`context.step.ticket`, decided by the core's case state machine) and nothing else: `open` an issue
 * (guarded against duplicates by an entity property carrying the Okta event uuid), `comment` on the
 * case's open issue (a deletion after a deactivation), `close` it (comment, then the configured
 * transition: the user is active again), or nothing (receipt `noop: skipped`, or `superseded` for an
 * event older than the case's state or with a date it cannot trust). Jira Cloud REST v3 through jira.js.
 */

interface SearchIssue {
  readonly id?: string;
  readonly key?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** What every Jira call needs: the client, the settings, and the browse URL of an issue. */
interface Jira {
  readonly client: LazyJiraClient;
  readonly settings: JiraSettings;
  readonly browse: (key: string) => string;
}

/** One vendor call, classified. */
const call = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => classifyJiraError(cause, what) });

/** The longest an attempt waits for Jira's 429 before handing the record back to the queue for that long. */
const JIRA_MAX_WAIT_MS = 2_000;

/**
 * Issue creation is paced for every writer on the ledger together: at most 5 a second after a burst
 * of 10, well under Jira Cloud's per-site limits, so a layoff opens one ticket per user without 429s.
 */
const JIRA_CREATE_PACE = { intervalMs: 200, burst: 10 } as const;

/**
 * Bounded retries of 5xx, 408 and network failures inside one attempt: at most `maxRetries`, none
 * started once `timeoutMs` has passed since the first try (so a slow Jira costs about two timeouts,
 * not `maxRetries + 1`). `retryable` narrows which transient failures may be repeated (the create:
 * only those where the request never reached Jira). A 429 is retried once, after exactly the wait
 * Jira named (Retry-After, X-RateLimit-Reset; without either, exponential backoff with jitter) when
 * that is short; otherwise it goes back with the wait, for the record to return after it.
 */
const retrying = <A>(
  settings: Pick<JiraSettings, "maxRetries" | "timeoutMs">,
  eff: Effect.Effect<A, SinkError>,
  retryable: (e: SinkError) => boolean = () => true,
) =>
  Effect.suspend(() => {
    const start = Date.now();
    const bounded = eff.pipe(
      Effect.retry({
        schedule: Schedule.exponential(Duration.millis(100), 2),
        times: Math.max(0, settings.maxRetries),
        while: (e: SinkError) =>
          e.failure === "transient" && e.code !== "429" && retryable(e) && Date.now() - start < settings.timeoutMs,
      }),
    );
    return bounded.pipe(
      Effect.catchIf(
        (e) => e.code === "429",
        (e) => {
          const wait = e.retryAfterMs ?? backoffMs(0);
          if (wait > JIRA_MAX_WAIT_MS) return Effect.fail(e);
          return Effect.sleep(Duration.millis(wait)).pipe(
            Effect.andThen(bounded),
            Effect.mapError((again) =>
              again.code === "429" && again.retryAfterMs === undefined
                ? new SinkError({
                    sink: again.sink,
                    failure: "transient",
                    code: "429",
                    message: `${again.message} (backing off)`,
                    retryAfterMs: backoffMs(1),
                    cause: again.cause,
                  })
                : again,
            ),
          );
        },
      ),
    );
  });

/** The issue this event already created, if any: found by label, confirmed by the property. */
const findExisting = (j: Jira, event: OffboardingEvent) =>
  call("search (duplicate guard)", async () =>
    (await j.client()).issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
      jql: duplicateGuardJql(j.settings.projectKey, event.subject.id),
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
const createIssue = (j: Jira, event: OffboardingEvent, ctx: DeliveryContext) =>
  retrying(
    j.settings,
    call("create issue", async () =>
      (await j.client()).issues.createIssue({
        fields: buildJiraIssueFields(event, ctx, j.settings) as unknown as Version3Parameters.CreateIssue["fields"],
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
const openIssue = Effect.fn("JiraSink.open")(function* (j: Jira, event: OffboardingEvent, ctx: DeliveryContext) {
  const existing = yield* retrying(j.settings, findExisting(j, event));
  if (existing?.key !== undefined) {
    return {
      sink: JIRA_SINK,
      ref: existing.key,
      url: j.browse(existing.key),
      alreadyExisted: true,
      ...(existing.id !== undefined && { detail: { id: existing.id } }),
    } satisfies Receipt;
  }
  const created = yield* paced(
    ctx.coordination,
    `jira-pace#${j.settings.baseUrl}`,
    JIRA_CREATE_PACE,
    JIRA_MAX_WAIT_MS,
    createIssue(j, event, ctx),
    (waitMs) =>
      new SinkError({
        sink: JIRA_SINK,
        failure: "transient",
        code: "paced",
        message: `Jira create issue: the next slot is ${Math.ceil(waitMs / 1000)} s away (shared pacing)`,
        retryAfterMs: waitMs,
      }),
    (e) =>
      new SinkError({
        sink: JIRA_SINK,
        failure: "transient",
        code: "ledger",
        message: `ledger unavailable: ${e.message}`,
        cause: e,
      }),
  );
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
    url: j.browse(created.key),
    ...(typeof created.id === "string" && { detail: { id: created.id } }),
  } satisfies Receipt;
});

/** Applies the configured transition by name; false when the issue's workflow does not offer it now. */
const transition = (j: Jira, key: string, name: string) =>
  Effect.gen(function* () {
    const res = yield* retrying(
      j.settings,
      call("get transitions", async () => (await j.client()).issues.getTransitions({ issueIdOrKey: key })),
    );
    const wanted = name.trim().toLowerCase();
    const t = (res.transitions ?? []).find((x) => x.name?.trim().toLowerCase() === wanted);
    if (t?.id === undefined) return false;
    const id = t.id;
    yield* retrying(
      j.settings,
      call("transition issue", async () =>
        (await j.client()).issues.doTransition({ issueIdOrKey: key, transition: { id } }),
      ),
    );
    return true;
  });

/** Comments on the case's open issue, or closes it (transition + comment), as the case's step says. */
const onCaseTicket = Effect.fn("JiraSink.onCaseTicket")(function* (
  j: Jira,
  event: OffboardingEvent,
  ctx: DeliveryContext,
  action: "comment" | "close",
) {
  const ticket = ticketOf(ctx.case, caseSettings(j.settings));
  if (ticket === undefined || !refNamesArtefact(ticket.ref)) {
    return {
      sink: JIRA_SINK,
      ref: RECEIPT_REF.none,
      noop: "skipped",
      detail: { reason: `no Jira issue on this user's case; nothing to ${action} for ${event.kind}` },
    } satisfies Receipt;
  }
  const key = ticket.ref;
  return yield* commentOn(j, key, ticket.url, event, ctx, action).pipe(
    // The case's issue was deleted or moved to a project we cannot see: there is no ticket any more.
    // Failing would dead-letter the record on every redrive and hold back the other sinks' follow-up.
    Effect.catchIf(
      (e) => e.code === "404",
      (e) =>
        Effect.logWarning(`Jira case issue ${key} not found (${e.message}); nothing to ${action}`).pipe(
          Effect.as({
            sink: JIRA_SINK,
            ref: RECEIPT_REF.none,
            // Gone counts as done: the case stops waiting for this ticket.
            ticket: action,
            detail: { note: `case issue ${key} not found` },
          } satisfies Receipt),
        ),
    ),
  );
});

/** Transition (when configured) and comment on the case's issue. */
const commentOn = Effect.fnUntraced(function* (
  j: Jira,
  key: string,
  url: string | undefined,
  event: OffboardingEvent,
  ctx: DeliveryContext,
  action: "comment" | "close",
) {
  // Transition first (repeating it is harmless: it is simply no longer offered), comment last.
  const name = j.settings.reactivateTransition;
  const applied = name !== undefined && action === "close" ? yield* transition(j, key, name) : undefined;
  // Exactly once: each try first looks for the comment an earlier try (or attempt) may have made (it
  // names this Okta event); comments are read back consistently, unlike the issue search.
  const comment = yield* retrying(
    j.settings,
    Effect.gen(function* () {
      const existing = yield* call("get comments", async () =>
        (await j.client()).issueComments.getComments({ issueIdOrKey: key, orderBy: "-created", maxResults: 100 }),
      );
      const found = (existing.comments ?? []).find((c) => JSON.stringify(c.body ?? "").includes(event.id));
      if (found !== undefined) return { id: found.id, adopted: true };
      const added = yield* call("add comment", async () =>
        (await j.client()).issueComments.addComment({
          issueIdOrKey: key,
          comment: buildJiraComment(
            event,
            ctx,
            name !== undefined && applied !== undefined ? { name, applied } : undefined,
            closingNote(event, ctx, action),
          ) as unknown as Version3Models.Document,
        }),
      );
      return { id: added.id, adopted: false };
    }),
  );
  return {
    sink: JIRA_SINK,
    ref: key,
    url: url ?? j.browse(key),
    ticket: action,
    detail: {
      ...(typeof comment.id === "string" && { comment: comment.id }),
      ...(comment.adopted && { adopted: "comment found made by an earlier attempt" }),
      ...(name !== undefined && applied !== undefined && { transition: applied ? name : `${name} (not available)` }),
    },
  } satisfies Receipt;
});

/** Why a ticket is closed by an event that is not the user's latest (the state moved on meanwhile). */
const closingNote = (event: OffboardingEvent, ctx: DeliveryContext, action: "comment" | "close") => {
  const head = ctx.step?.after.head;
  if (action !== "close" || head === undefined || head.eventId === event.id) return undefined;
  return `Closed by offboard: Okta's latest event for this user is ${head.kind} (${new Date(head.at).toISOString()}); no offboarding ticket is needed now.`;
};

/** The case settings the Jira kinds imply (JIRA_KINDS: the kinds whose final state needs a ticket). */
const caseSettings = (settings: JiraSettings): CaseSettings => ({
  ticketKinds: settings.kinds,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
});

/** The step for a context built without one (a caller outside the pipeline): placed against the case now. */
const stepOf = (event: OffboardingEvent, ctx: DeliveryContext, settings: JiraSettings) =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    stepCase(
      caseStateOf(ctx.case, now, caseSettings(settings)),
      { id: event.id, kind: event.kind, published: event.occurredAt },
      now,
      caseSettings(settings),
    ),
  );

/** The receipt when the case's ticket needs nothing: superseded (the event cannot move the case) or skipped. */
const noChange = (event: OffboardingEvent, ctx: DeliveryContext, step: CaseStep | undefined): Receipt => {
  const later = ctx.supersededBy;
  if (
    step === undefined ||
    step.timeliness === "history" ||
    step.timeliness === "future" ||
    step.timeliness === "undated"
  ) {
    const reason =
      later !== undefined
        ? `arrived after the user was ${later.kind} at ${later.occurredAt}; no Jira change for this ${event.kind}`
        : step?.timeliness === "history"
          ? `older than the user's case; no Jira change for this ${event.kind}`
          : `published ${event.occurredAt}, which cannot be placed in time; no Jira change for this ${event.kind}`;
    return {
      sink: JIRA_SINK,
      ref: RECEIPT_REF.superseded,
      noop: "superseded",
      detail: { reason, ...(later?.eventId !== undefined && { laterEvent: later.eventId }) },
    };
  }
  const state = step.after.head?.kind ?? event.kind;
  return {
    sink: JIRA_SINK,
    ref: RECEIPT_REF.skipped,
    noop: "skipped",
    detail: {
      reason:
        step.after.ticket === "open"
          ? `the case's ticket is already open for a ${state} user`
          : `a ${state} user needs no offboarding ticket (JIRA_KINDS)`,
    },
  };
};

/** Builds the Jira sink (name "jira") from its settings. */
export const makeJiraSink = (settings: JiraSettings): Sink => {
  const base = settings.baseUrl.replace(/\/+$/, "");
  const j: Jira = {
    client: makeJiraClient(settings),
    settings,
    browse: (key) => `${base}/browse/${encodeURIComponent(key)}`,
  };
  const deliver = Effect.fn("JiraSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    // A context built outside the pipeline (no step): an event it marks as superseded changes nothing;
    // otherwise the step is worked out from the case it carries, as the pipeline would.
    if (ctx.step === undefined && ctx.supersededBy !== undefined) return noChange(event, ctx, undefined);
    const step = ctx.step ?? (yield* stepOf(event, ctx, settings));
    switch (step.ticket) {
      case "open": {
        const opened = yield* openIssue(j, event, ctx);
        return { ...opened, ticket: "open" } satisfies Receipt;
      }
      case "comment":
      case "close":
        return yield* onCaseTicket(j, event, ctx, step.ticket);
      case "none":
        return noChange(event, ctx, step);
    }
  });

  return { name: JIRA_SINK, deliver };
};
