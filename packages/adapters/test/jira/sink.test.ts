import { caseStateOf, EMPTY_CASE, stepCase } from "@offboard/core";
import { type Loopback, type RecordedRequest, type Reply, startLoopback } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildJiraIssueFields, jiraSummary } from "../../src/jira/issue.ts";
import { makeJiraSink } from "../../src/jira/sink.ts";
import {
  closedPortUrl,
  deliveryContext,
  JIRA_TOKEN,
  jiraSettings,
  laterReactivation,
  offboardingEvent,
  openCase,
  reactivation,
  run,
} from "../slack-jira.factories.ts";

/**
 * The Jira sink over real HTTP against a loopback server speaking Jira Cloud REST v3: JSON bodies,
 * basic auth (email:api-token), `{ errorMessages, errors }` error bodies, 429 with Retry-After.
 */

const BASIC = `Basic ${Buffer.from(`offboard-bot@example.com:${JIRA_TOKEN}`).toString("base64")}`;

interface JiraState {
  /** Issues the search finds (key, id, offboard property). */
  found: Array<{ id: string; key: string; properties: Record<string, unknown> }>;
  transitions: Array<{ id: string; name: string }>;
  /** Comments on the case's issue (GET …/comment). */
  comments: Array<{ id: string; body: unknown }>;
}

/** Jira Cloud's documented success answers for the endpoints the sink calls. */
const jiraOk =
  (state: JiraState) =>
  (req: RecordedRequest): Reply => {
    const key = "IT-42";
    if (req.method === "POST" && req.path === "/rest/api/3/search/jql") {
      return {
        body: { issues: state.found.map((i) => ({ ...i, self: `x/${i.id}`, fields: { summary: "s" } })), isLast: true },
      };
    }
    if (req.method === "POST" && req.path === "/rest/api/3/issue") {
      return { status: 201, body: { id: "10042", key, self: `http://jira/rest/api/3/issue/10042` } };
    }
    if (req.method === "GET" && /^\/rest\/api\/3\/issue\/[^/]+\/transitions$/.test(req.path)) {
      return {
        body: { expand: "transitions", transitions: state.transitions.map((t) => ({ ...t, to: { name: "Open" } })) },
      };
    }
    if (req.method === "POST" && /^\/rest\/api\/3\/issue\/[^/]+\/transitions$/.test(req.path)) {
      return { status: 204 };
    }
    if (req.method === "GET" && /^\/rest\/api\/3\/issue\/[^/]+\/comment$/.test(req.path)) {
      return { body: { startAt: 0, maxResults: 100, total: state.comments.length, comments: state.comments } };
    }
    if (req.method === "POST" && /^\/rest\/api\/3\/issue\/[^/]+\/comment$/.test(req.path)) {
      return {
        status: 201,
        body: { id: "10050", body: (req.json as { body: unknown }).body, created: "2026-11-04T10:00:01.000+0000" },
      };
    }
    return { status: 404, body: { errorMessages: [`no route ${req.method} ${req.path}`], errors: {} } };
  };

let jira: Loopback;
let state: JiraState;
beforeEach(async () => {
  state = {
    found: [],
    comments: [],
    transitions: [
      { id: "31", name: "Reopen" },
      { id: "41", name: "Done" },
    ],
  };
  jira = await startLoopback(jiraOk(state));
});
afterEach(async () => {
  await jira.close();
});

/** The JSON body of the i-th request (an empty object when there was none). */
const jsonOf = (i: number): unknown => jira.requests[i]?.json ?? {};

const routes = () => jira.requests.map((r) => `${r.method} ${r.path}`);

describe("a deactivation", () => {
  it("searches for an issue carrying its event uuid, then creates one with ADF, labels and the property", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { labels: ["offboarding team"] }));
    const event = offboardingEvent({ reason: "Left the company" });
    const ctx = deliveryContext(event);

    const result = await run(sink.deliver(event, ctx));

    expect(routes()).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/issue"]);
    for (const r of jira.requests) expect(r.headers.authorization).toBe(BASIC);
    expect(jira.requests[0]?.json).toEqual({
      jql: 'project = "IT" AND labels = "okta-user-00u1abcdEFGHijkl0x7" ORDER BY created DESC',
      fields: ["summary"],
      properties: ["offboard"],
      maxResults: 50,
    });
    const created = jira.requests[1]?.json as Record<string, unknown>;
    expect(created).toEqual({
      fields: buildJiraIssueFields(event, ctx, jiraSettings(jira.url, { labels: ["offboarding team"] })),
      properties: [
        { key: "offboard", value: { eventId: event.id, kind: "deactivated", subjectId: "00u1abcdEFGHijkl0x7" } },
      ],
    });
    const fields = created.fields as Record<string, unknown>;
    expect(fields.project).toEqual({ key: "IT" });
    expect(fields.issuetype).toEqual({ name: "Task" });
    expect(fields.summary).toBe("Offboard Jane Doe (jane.doe@example.com): Okta user deactivated");
    expect(fields.labels).toEqual(["okta-offboarding", "okta-user-00u1abcdEFGHijkl0x7", "offboarding-team"]);
    const description = JSON.stringify(fields.description);
    expect(description).toContain('"type":"doc"');
    expect(description).toContain(
      '{"type":"text","text":"Reason: ","marks":[{"type":"strong"}]},{"type":"text","text":"Left the company"}',
    );
    expect(description).toContain("☐ Revoke SaaS sessions");
    expect(description).toContain("☐ Recover laptop");
    expect(result._tag === "Success" && result.success).toEqual({
      sink: "jira",
      ref: "IT-42",
      url: `${jira.url}/browse/IT-42`,
      detail: { id: "10042" },
      ticket: "open",
    });
  });

  it("does not create a second issue when one already carries the event uuid", async () => {
    const event = offboardingEvent();
    state.found = [
      { id: "10007", key: "IT-7", properties: { offboard: { eventId: "some-older-event" } } },
      { id: "10009", key: "IT-9", properties: { offboard: { eventId: event.id } } },
    ];
    const sink = makeJiraSink(jiraSettings(jira.url));

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(routes()).toEqual(["POST /rest/api/3/search/jql"]);
    expect(result._tag === "Success" && result.success).toMatchObject({ ref: "IT-9", alreadyExisted: true });
  });

  it("does not create again in the same attempt after a 5xx on the create: it fails transiently for a later redelivery", async () => {
    const event = offboardingEvent();
    jira.handle((req) =>
      // Jira may have made the issue, but its search will not show it for a while.
      req.path === "/rest/api/3/issue" ? { status: 502, body: "Bad Gateway" } : jiraOk(state)(req),
    );
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(routes()).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/issue"]);
    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "502" });
    expect(result._tag === "Failure" && result.failure.message).toContain("the issue may exist");
  });

  it("does not create again in the same attempt when the create got no answer in time", async () => {
    const event = offboardingEvent();
    jira.handle((req) =>
      req.path === "/rest/api/3/issue" ? { ...jiraOk(state)(req), delayMs: 1_000 } : jiraOk(state)(req),
    );
    const sink = makeJiraSink(jiraSettings(jira.url, { timeoutMs: 300, maxRetries: 2 }));

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(routes().filter((r) => r === "POST /rest/api/3/issue")).toHaveLength(1);
    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "timeout" });
  });

  it("finds on the redelivery the issue a create with a lost answer made, instead of creating it again", async () => {
    const event = offboardingEvent();
    let creates = 0;
    jira.handle((req) => {
      if (req.path === "/rest/api/3/issue") {
        creates += 1;
        // Jira made the issue (searchable by the time SQS redelivers), but the answer never arrived.
        state.found = [{ id: "10042", key: "IT-42", properties: { offboard: { eventId: event.id } } }];
        return { status: 502, body: "Bad Gateway" };
      }
      return jiraOk(state)(req);
    });
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 1 }));

    const first = await run(sink.deliver(event, deliveryContext(event)));
    const redelivery = await run(sink.deliver(event, deliveryContext(event)));

    expect(first._tag).toBe("Failure");
    expect(creates).toBe(1);
    expect(redelivery._tag === "Success" && redelivery.success).toMatchObject({ ref: "IT-42", alreadyExisted: true });
  });

  it("retries the duplicate-guard search alone inside the attempt after a 5xx", async () => {
    const event = offboardingEvent();
    let searches = 0;
    jira.handle((req) => {
      if (req.path === "/rest/api/3/search/jql") {
        searches += 1;
        if (searches === 1) return { status: 503, body: "Service Unavailable" };
      }
      return jiraOk(state)(req);
    });
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(routes()).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/search/jql", "POST /rest/api/3/issue"]);
    expect(result._tag === "Success" && result.success.ref).toBe("IT-42");
  });

  it("opens no ticket when it arrived after the user was reactivated, and says so in the receipt", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event, { supersededBy: laterReactivation() })));

    expect(routes()).toEqual([]);
    expect(result._tag === "Success" && result.success).toMatchObject({
      sink: "jira",
      ref: "superseded",
      detail: { laterEvent: "7c2d9e10-0000-11ef-9a1b-0242ac120002" },
    });
  });

  it("keeps user strings literal in ADF text nodes and the summary on one line", async () => {
    const event = offboardingEvent({
      subject: { id: "00uevil", login: "x@example.com", displayName: "[~admin] *bold*\n{color:red}h1. x" },
    });
    const sink = makeJiraSink(jiraSettings(jira.url));

    await run(sink.deliver(event, deliveryContext(event)));

    const fields = (jsonOf(1) as { fields: { summary: string; description: unknown } }).fields;
    expect(fields.summary).toBe("Offboard [~admin] *bold* {color:red}h1. x (x@example.com): Okta user deactivated");
    // Literal, on one line: ADF has no markup to inject, and control characters (the newline) are removed.
    expect(JSON.stringify(fields.description)).toContain('{"type":"text","text":"[~admin] *bold* {color:red}h1. x"}');
  });

  it("caps the summary at Jira's 255 characters", () => {
    const event = offboardingEvent({ subject: { id: "00ulong", displayName: "N".repeat(400) } });

    expect(jiraSummary(event)).toHaveLength(255);
    expect(jiraSummary(event).endsWith("…: Okta user deactivated")).toBe(true);
  });

  it("is skipped, with no Jira call, for a state that needs no ticket", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { kinds: ["deactivated"] }));
    const event = offboardingEvent({ kind: "suspended", eventType: "user.lifecycle.suspend" });

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(routes()).toEqual([]);
    expect(result._tag === "Success" && result.success.ref).toBe("skipped");
  });
});

describe("a reactivation", () => {
  const caseWithIssue = () =>
    openCase({ jira: { sink: "jira", ref: "IT-7", url: "https://acme.atlassian.net/browse/IT-7" } });

  it("transitions the case's issue by name and comments on it", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { reactivateTransition: "reopen" }));
    const event = reactivation();

    const result = await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

    expect(routes()).toEqual([
      "GET /rest/api/3/issue/IT-7/transitions",
      "POST /rest/api/3/issue/IT-7/transitions",
      "GET /rest/api/3/issue/IT-7/comment",
      "POST /rest/api/3/issue/IT-7/comment",
    ]);
    expect(jira.requests[1]?.json).toEqual({ transition: { id: "31" } });
    const body = (jsonOf(3) as { body: { type: string } }).body;
    expect(body.type).toBe("doc");
    expect(JSON.stringify(body)).toContain("Okta user reactivated. ");
    expect(JSON.stringify(body)).toContain('Transition \\"reopen\\" applied.');
    expect(result._tag === "Success" && result.success).toEqual({
      sink: "jira",
      ref: "IT-7",
      url: "https://acme.atlassian.net/browse/IT-7",
      ticket: "close",
      detail: { comment: "10050", transition: "reopen" },
    });
  });

  it("comments without transitioning when the workflow does not offer the transition", async () => {
    state.transitions = [{ id: "41", name: "Done" }];
    const sink = makeJiraSink(jiraSettings(jira.url, { reactivateTransition: "Reopen" }));
    const event = reactivation();

    await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

    expect(routes()).toEqual([
      "GET /rest/api/3/issue/IT-7/transitions",
      "GET /rest/api/3/issue/IT-7/comment",
      "POST /rest/api/3/issue/IT-7/comment",
    ]);
    expect(JSON.stringify(jira.requests[2]?.json)).toContain("is not offered from the issue's current status");
  });

  it("only comments when no transition is configured", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = reactivation();

    await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

    expect(routes()).toEqual(["GET /rest/api/3/issue/IT-7/comment", "POST /rest/api/3/issue/IT-7/comment"]);
  });

  it("does not comment twice: a comment naming the event, made by an earlier attempt, is adopted", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = reactivation();
    state.comments = [{ id: "10077", body: { type: "doc", content: [{ text: `Okta event: ${event.id}` }] } }];

    const result = await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

    expect(routes()).toEqual(["GET /rest/api/3/issue/IT-7/comment"]);
    expect(result._tag === "Success" && result.success.detail).toMatchObject({ comment: "10077" });
  });

  it("after a 500 on the comment, looks again before commenting, and adopts what Jira made", async () => {
    let posted = false;
    jira.handle((req) => {
      if (req.method === "POST" && req.path.endsWith("/comment")) {
        posted = true;
        state.comments = [{ id: "10088", body: { type: "doc", content: [{ text: JSON.stringify(req.json) }] } }];
        return { status: 500, body: { errorMessages: ["oops"] } };
      }
      return jiraOk(state)(req);
    });
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = reactivation();

    const result = await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

    expect(posted).toBe(true);
    expect(routes().filter((r) => r.startsWith("POST"))).toHaveLength(1);
    expect(result._tag === "Success" && result.success.detail).toMatchObject({ comment: "10088" });
  });

  it("neither transitions nor comments when it arrived after a later deactivation", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { reactivateTransition: "Reopen" }));
    const event = reactivation({ occurredAt: "2026-11-03T08:00:00.000Z" });
    const ctx = deliveryContext(event, {
      followUp: true,
      case: caseWithIssue(),
      supersededBy: { kind: "deactivated", occurredAt: "2026-11-03T09:15:12.345Z" },
    });

    const result = await run(sink.deliver(event, ctx));

    expect(routes()).toEqual([]);
    expect(result._tag === "Success" && result.success.ref).toBe("superseded");
  });

  it.each([
    ["the comment", undefined, "GET /rest/api/3/issue/IT-7/comment"],
    ["the transition lookup", "Reopen", "GET /rest/api/3/issue/IT-7/transitions"],
  ])(
    "treats a 404 on %s as 'the case's issue is gone': no error, a receipt saying so",
    async (_what, transition, route) => {
      jira.handle(() => ({
        status: 404,
        body: { errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} },
      }));
      const sink = makeJiraSink(
        jiraSettings(jira.url, transition !== undefined ? { reactivateTransition: transition } : {}),
      );
      const event = reactivation();

      const result = await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: caseWithIssue() })));

      expect(routes()).toEqual([route]);
      expect(result._tag === "Success" && result.success).toEqual({
        sink: "jira",
        ref: "none",
        // Gone counts as closed: the case stops waiting for it.
        ticket: "close",
        detail: { note: "case issue IT-7 not found" },
      });
    },
  );

  it("does nothing when the user's case has no issue, and says so in the receipt", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = reactivation();

    const result = await run(sink.deliver(event, deliveryContext(event, { followUp: true, case: undefined })));

    expect(routes()).toEqual([]);
    expect(result._tag === "Success" && result.success).toMatchObject({ ref: "skipped", noop: "skipped" });
  });
});

describe("the case's ticket actions", () => {
  const deletion = () =>
    offboardingEvent({
      kind: "deleted",
      eventType: "user.lifecycle.delete.initiated",
      occurredAt: "2026-11-04T10:00:00.000Z",
    });
  const NOW = Date.parse("2026-11-05T00:00:00.000Z");

  it("opens the ticket for a deletion when the case has none (the deactivation arrived later or never)", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = deletion();
    const step = stepCase(EMPTY_CASE, { id: event.id, kind: event.kind, published: event.occurredAt }, NOW);

    const result = await run(sink.deliver(event, { ...deliveryContext(event), step }));

    expect(step.ticket).toBe("open");
    expect(routes()).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/issue"]);
    expect(result._tag === "Success" && result.success).toMatchObject({ ref: "IT-42", ticket: "open" });
  });

  it("comments on the open ticket for a deletion after the deactivation, without a transition", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { reactivateTransition: "Reopen" }));
    const event = deletion();
    const open = openCase(
      { jira: { sink: "jira", ref: "IT-7", url: "https://acme.atlassian.net/browse/IT-7" } },
      { lastEventId: "5e1b7a3c-0000-11ef-9a1b-0242ac120002" },
    );
    const step = stepCase(caseStateOf(open, NOW), { id: event.id, kind: event.kind, published: event.occurredAt }, NOW);

    const result = await run(sink.deliver(event, { ...deliveryContext(event, { case: open }), step }));

    expect(step.ticket).toBe("comment");
    // Looks for a comment an earlier attempt made (none), then comments.
    expect(routes()).toEqual(["GET /rest/api/3/issue/IT-7/comment", "POST /rest/api/3/issue/IT-7/comment"]);
    expect(JSON.stringify(jsonOf(1))).toContain("Okta user deleted. ");
    expect(result._tag === "Success" && result.success).toMatchObject({ ref: "IT-7", ticket: "comment" });
  });

  it("makes no Jira call for an event dated beyond the clock skew, and says superseded", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = offboardingEvent({ occurredAt: "2999-01-01T00:00:00.000Z" });
    const step = stepCase(EMPTY_CASE, { id: event.id, kind: event.kind, published: event.occurredAt }, NOW);

    const result = await run(sink.deliver(event, { ...deliveryContext(event), step }));

    expect(step.timeliness).toBe("future");
    expect(routes()).toEqual([]);
    expect(result._tag === "Success" && result.success).toMatchObject({ ref: "superseded", noop: "superseded" });
  });
});

describe("failures are classified", () => {
  it("a 400 is permanent and carries Jira's errors text", async () => {
    jira.handle((req) =>
      req.path === "/rest/api/3/issue"
        ? { status: 400, body: { errorMessages: [], errors: { issuetype: "Specify a valid issue type" } } }
        : jiraOk(state)(req),
    );
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({
      sink: "jira",
      failure: "permanent",
      code: "400",
      message: "Jira create issue: HTTP 400: issuetype: Specify a valid issue type",
    });
    expect(routes()).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/issue"]);
  });

  it.each([
    [401, "Client must be authenticated to access this resource."],
    [403, "You do not have permission to browse issues in this project."],
    [404, "The value 'IT' does not exist for the field 'project'."],
  ])("a %i is permanent and carries Jira's errorMessages", async (status, text) => {
    jira.handle(() => ({ status, body: { errorMessages: [text], errors: {} } }));
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "permanent", code: String(status) });
    expect(result._tag === "Failure" && result.failure.message).toBe(
      `Jira search (duplicate guard): HTTP ${status}: ${text}`,
    );
    expect(result._tag === "Failure" && JSON.stringify(result.failure)).not.toContain(JIRA_TOKEN);
    expect(jira.requests).toHaveLength(1);
  });

  it("a 429 is transient, carries Retry-After in ms and is left to the core to retry", async () => {
    jira.handle(() => ({
      status: 429,
      headers: { "retry-after": "5" },
      body: { errorMessages: ["Rate limit exceeded."] },
    }));
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({
      failure: "transient",
      code: "429",
      retryAfterMs: 5_000,
    });
    expect(jira.requests).toHaveLength(1);
  });

  it("a 429 with a short Retry-After is retried once, no sooner than asked", async () => {
    let limited = 0;
    jira.handle((req) => {
      if (limited === 0) {
        limited += 1;
        return { status: 429, headers: { "retry-after": "1" }, body: { errorMessages: ["Rate limit exceeded."] } };
      }
      return jiraOk(state)(req);
    });
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = offboardingEvent();
    const sent: Array<number> = [];
    const started = Date.now();

    const result = await run(sink.deliver(event, deliveryContext(event)));
    sent.push(Date.now() - started);

    expect(result._tag).toBe("Success");
    expect(routes().slice(0, 2)).toEqual(["POST /rest/api/3/search/jql", "POST /rest/api/3/search/jql"]);
    expect(sent[0]).toBeGreaterThanOrEqual(1_000);
  });

  it("a 429 with only X-RateLimit-Reset carries the time until the reset", async () => {
    const reset = new Date(Date.now() + 60_000).toISOString();
    jira.handle(() => ({
      status: 429,
      headers: { "x-ratelimit-reset": reset },
      body: { errorMessages: ["Rate limit exceeded."] },
    }));
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure.code).toBe("429");
    const wait = result._tag === "Failure" ? (result.failure.retryAfterMs ?? 0) : 0;
    expect(wait).toBeGreaterThan(50_000);
    expect(wait).toBeLessThanOrEqual(60_000);
  });

  it("a 429 without a wait backs off with jitter once, then hands back a longer jittered wait", async () => {
    jira.handle(() => ({ status: 429, body: { errorMessages: ["Rate limit exceeded."] } }));
    const sink = makeJiraSink(jiraSettings(jira.url));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(jira.requests).toHaveLength(2);
    const wait = result._tag === "Failure" ? (result.failure.retryAfterMs ?? 0) : 0;
    expect(wait).toBeGreaterThanOrEqual(1_000);
    expect(wait).toBeLessThanOrEqual(2_000);
  });

  it("a 5xx is transient after the bounded retries of the search", async () => {
    jira.handle(() => ({ status: 503, body: "Service Unavailable" }));
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "503" });
    expect(jira.requests).toHaveLength(3);
  });

  it("a network error (nothing listening) is transient", async () => {
    const sink = makeJiraSink(jiraSettings(await closedPortUrl()));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "network" });
    // The cause is named, not just "fetch failed".
    expect(result._tag === "Failure" && result.failure.message).toMatch(
      /^Jira search \(duplicate guard\): request failed: connection refused \(ECONNREFUSED/,
    );
  });

  it("no answer within the timeout is transient, and a slow vendor is not retried past one timeout", async () => {
    jira.handle((req) => ({ ...jiraOk(state)(req), delayMs: 1_000 }));
    const sink = makeJiraSink(jiraSettings(jira.url, { timeoutMs: 100, maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({ failure: "transient", code: "timeout" });
    expect(jira.requests).toHaveLength(1);
  });
});
