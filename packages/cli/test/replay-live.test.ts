import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Loopback, startLoopback } from "@offboard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "./run-cli.ts";

/**
 * `offboard replay` with the real Slack and Jira adapters, against loopback servers that speak Slack's
 * Web API and Jira Cloud's REST v3: one message per routed event, one ticket per deactivation, and
 * nothing at all on a second replay of the same file.
 */
const EXAMPLE = resolve(REPO, "examples/okta-events.jsonl");
const TOKEN = "xoxb-fake_loopback-token-do-not-print";
const JIRA_TOKEN = "jira-loopback-token-do-not-print";

let slack: Loopback;
let jira: Loopback;
let issues = 0;

beforeAll(async () => {
  let ts = 1_700_000_000;
  slack = await startLoopback((req) => {
    const body = req.json as { channel?: string; ts?: string };
    ts += 1;
    return {
      body: { ok: true, channel: body.channel, ts: req.path === "/api/chat.update" ? body.ts : `${ts}.000100` },
    };
  });
  jira = await startLoopback((req) => {
    if (req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
    if (req.path === "/rest/api/3/issue") {
      issues += 1;
      return {
        status: 201,
        body: { id: String(10000 + issues), key: `IT-${issues}`, self: `${jira.url}/rest/api/3/issue/${issues}` },
      };
    }
    if (req.path.endsWith("/comment")) {
      // The sink first looks for a comment an earlier attempt made (none here), then comments.
      if (req.method === "GET") return { body: { startAt: 0, maxResults: 100, total: 0, comments: [] } };
      return { status: 201, body: { id: "20001" } };
    }
    return { status: 404, body: { errorMessages: [`no route for ${req.method} ${req.path}`], errors: {} } };
  });
});

afterAll(async () => {
  await slack.close();
  await jira.close();
});

describe("offboard replay with Slack and Jira configured", () => {
  it("posts one message per routed event and opens one ticket per user whose case ends deactivated or deleted, then nothing on a second run", async () => {
    const env = {
      OFFBOARD_STATE_DIR: mkdtempSync(join(tmpdir(), "offboard-live-")),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_CHANNEL_ID: "C0OFFBOARD",
      SLACK_API_URL: `${slack.url}/api/`,
      JIRA_BASE_URL: jira.url,
      JIRA_EMAIL: "bot@example.com",
      JIRA_API_TOKEN: JIRA_TOKEN,
      JIRA_PROJECT_KEY: "IT",
      // Slack's default shared pacing (1.1 s a post) stays on: replay delivers one user at a time so
      // no post waits longer than the sink may (a concurrent replay handed later alerts back as busy).
    };
    const first = await runCli(["replay", "--no-preview", EXAMPLE], { env });
    expect(first.stderr).toContain("sinks active: slack, jira");
    expect(first.code).toBe(0);

    // 6 distinct lifecycle events (the duplicate delivery is not posted again).
    const posts = slack.requests.filter((r) => r.path === "/api/chat.postMessage");
    expect(posts).toHaveLength(6);
    expect(posts.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // Follow-ups thread onto their case and update its original message.
    expect(posts.filter((r) => (r.json as { thread_ts?: string }).thread_ts !== undefined)).toHaveLength(2);
    expect(slack.requests.filter((r) => r.path === "/api/chat.update")).toHaveLength(2);
    // The hostile display name reaches Slack escaped.
    const hostile = posts.map((r) => JSON.stringify(r.json)).find((b) => b.includes("evil.example"));
    expect(hostile).toContain("&lt;!channel&gt;");
    expect(hostile).not.toContain("<!channel>");

    // Two deactivations and a deletion with no earlier ticket → three tickets (each user's case ends
    // needing one); the reactivation comments on (and closes) its case's ticket.
    const creates = jira.requests.filter((r) => r.method === "POST" && r.path === "/rest/api/3/issue");
    expect(creates).toHaveLength(3);
    expect(jira.requests.filter((r) => r.method === "POST" && r.path.endsWith("/comment"))).toHaveLength(1);
    expect(`${first.stdout}${first.stderr}`).not.toContain(TOKEN);
    expect(`${first.stdout}${first.stderr}`).not.toContain(JIRA_TOKEN);

    const slackBefore = slack.requests.length;
    const jiraBefore = jira.requests.length;
    const second = await runCli(["replay", "--no-preview", EXAMPLE], { env });
    expect(second.code).toBe(0);
    expect(slack.requests.length).toBe(slackBefore);
    expect(jira.requests.length).toBe(jiraBefore);
    expect(second.stdout).toContain("Nothing delivered");
  });
});
