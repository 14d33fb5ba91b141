import type { DeliveryContext, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import { RECEIPT_REF, refNamesArtefact, SinkError } from "@offboard/core";
import { Duration, Effect, Schedule } from "effect";
import type { Version3Models, Version3Parameters } from "jira.js";
import type { Version3Client } from "jira.js/version3";
import { duplicateGuardJql, makeJiraClient } from "./client.ts";
import { classifyJiraError, neverSent } from "./errors.ts";
import { buildJiraComment, buildJiraIssueFields, JIRA_PROPERTY_KEY, offboardProperty } from "./issue.ts";
import { JIRA_SINK, type JiraSettings } from "./settings.ts";

/**
 * The Jira sink: one issue per event of a configured kind (default: deactivated), guarded against
 * duplicates by an entity property carrying the Okta event uuid; follow-ups (reactivated) comment on
 * the case's issue and, when configured, transition it. Jira Cloud REST v3 through jira.js. An event
 * that arrived after a later one of the same user (`context.supersededBy`) touches no ticket.
 */

interface SearchIssue {
  readonly id?: string;
  readonly key?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** What every Jira call needs: the client, the settings, and the browse URL of an issue. */
interface Jira {
  readonly client: Version3Client;
  readonly settings: JiraSettings;
  readonly browse: (key: string) => string;
}

/** One vendor call, classified. */
const call = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => classifyJiraError(cause, what) });

/**
 * Bounded retries of 5xx, 408 and network failures inside one attempt: at most `maxRetries`, none
 * started once `timeoutMs` has passed since the first try (so a slow Jira costs about two timeouts,
 * not `maxRetries + 1`). 429 is not retried here: it goes back with Retry-After for the core.
 * `retryable` narrows which transient failures may be repeated (the create: only those where the
 * request never reached Jira).
 */
const retrying = <A>(
  settings: Pick<JiraSettings, "maxRetries" | "timeoutMs">,
  eff: Effect.Effect<A, SinkError>,
  retryable: (e: SinkError) => boolean = () => true,
) =>
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
const findExisting = (j: Jira, event: OffboardingEvent) =>
  call("search (duplicate guard)", () =>
    j.client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
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
    call("create issue", () =>
      j.client.issues.createIssue({
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
  const created = yield* createIssue(j, event, ctx);
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
      call("get transitions", () => j.client.issues.getTransitions({ issueIdOrKey: key })),
    );
    const wanted = name.trim().toLowerCase();
    const t = (res.transitions ?? []).find((x) => x.name?.trim().toLowerCase() === wanted);
    if (t?.id === undefined) return false;
    const id = t.id;
    yield* retrying(
      j.settings,
      call("transition issue", () => j.client.issues.doTransition({ issueIdOrKey: key, transition: { id } })),
    );
    return true;
  });

const followUp = Effect.fn("JiraSink.followUp")(function* (j: Jira, event: OffboardingEvent, ctx: DeliveryContext) {
  const issue = ctx.case?.receipts.jira;
  if (issue === undefined || !refNamesArtefact(issue.ref)) {
    return {
      sink: JIRA_SINK,
      ref: RECEIPT_REF.none,
      detail: { reason: `no Jira issue on this user's case; nothing to comment on for ${event.kind}` },
    } satisfies Receipt;
  }
  const key = issue.ref;
  return yield* commentOn(j, key, issue, event, ctx).pipe(
    // The case's issue was deleted or moved to a project we cannot see: there is no ticket any more.
    // Failing would dead-letter the record on every redrive and hold back the other sinks' follow-up.
    Effect.catchIf(
      (e) => e.code === "404",
      (e) =>
        Effect.logWarning(`Jira case issue ${key} not found (${e.message}); nothing to comment on`).pipe(
          Effect.as({
            sink: JIRA_SINK,
            ref: RECEIPT_REF.none,
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
  issue: Receipt,
  event: OffboardingEvent,
  ctx: DeliveryContext,
) {
  // Transition first (repeating it is harmless: it is simply no longer offered), comment last.
  const name = j.settings.reactivateTransition;
  const applied = name !== undefined && event.kind === "reactivated" ? yield* transition(j, key, name) : undefined;
  const comment = yield* retrying(
    j.settings,
    call("add comment", () =>
      j.client.issueComments.addComment({
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
    url: issue.url ?? j.browse(key),
    detail: {
      ...(typeof comment.id === "string" && { comment: comment.id }),
      ...(name !== undefined && applied !== undefined && { transition: applied ? name : `${name} (not available)` }),
    },
  } satisfies Receipt;
});

/** Builds the Jira sink (name "jira") from its settings. */
export const makeJiraSink = (settings: JiraSettings): Sink => {
  const base = settings.baseUrl.replace(/\/+$/, "");
  const j: Jira = {
    client: makeJiraClient(settings),
    settings,
    browse: (key) => `${base}/browse/${encodeURIComponent(key)}`,
  };
  const kinds = new Set(settings.kinds);

  const deliver = Effect.fn("JiraSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const later = ctx.supersededBy;
    if (later !== undefined) {
      // The user's state moved on before this event arrived (a deactivation after the reactivation that
      // undid it): no offboarding ticket, no comment or transition on the case's ticket.
      return {
        sink: JIRA_SINK,
        ref: RECEIPT_REF.superseded,
        detail: {
          reason: `arrived after the user was ${later.kind} at ${later.occurredAt}; no Jira change for this ${event.kind}`,
          ...(later.eventId !== undefined && { laterEvent: later.eventId }),
        },
      } satisfies Receipt;
    }
    if (ctx.followUp) return yield* followUp(j, event, ctx);
    if (!kinds.has(event.kind)) {
      return {
        sink: JIRA_SINK,
        ref: RECEIPT_REF.skipped,
        detail: { reason: `${event.kind} is not in the Jira kinds (${[...kinds].join(", ") || "none"})` },
      } satisfies Receipt;
    }
    return yield* openIssue(j, event, ctx);
  });

  return { name: JIRA_SINK, deliver };
};
