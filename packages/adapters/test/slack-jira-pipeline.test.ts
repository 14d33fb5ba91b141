import {
  DeliveryLedger,
  HrisDirectory,
  PipelineConfig,
  processRecord,
  type RecordOutcome,
  sinksLayer,
} from "@offboard/core";
import { type Loopback, type RecordedRequest, startLoopback } from "@offboard/testkit";
import { Layer, ManagedRuntime } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeJiraSink } from "../src/jira/sink.ts";
import { makeSlackSink } from "../src/slack/sink.ts";
import { jiraSettings, slackSettings } from "./slack-jira.factories.ts";

/**
 * Both sinks behind the core pipeline (default policy: deactivated → jira then slack; reactivated →
 * jira then slack as follow-ups), each against its loopback vendor. What an operator sees: one
 * ticket, one alert linking it, and on reactivation a comment plus a thread reply on the same case.
 */

const USER = { id: "00u1abcdEFGHijkl0x7", type: "User", alternateId: "jane.doe@example.com", displayName: "Jane Doe" };

/** An Okta System Log event as the API (and Log Streaming's `detail`) carries it. */
const oktaLogEvent = (uuid: string, eventType: string, published: string) => ({
  uuid,
  published,
  eventType,
  version: "0",
  severity: "INFO",
  displayMessage: "Lifecycle change",
  actor: { id: "00uadmin000000000001", type: "User", alternateId: "it.admin@example.com", displayName: "IT Admin" },
  client: { ipAddress: "198.51.100.7" },
  outcome: { result: "SUCCESS", reason: null },
  target: [USER],
  transaction: { type: "WEB", id: `tx-${uuid}`, detail: {} },
});

let slack: Loopback;
let jira: Loopback;

beforeEach(async () => {
  slack = await startLoopback((req: RecordedRequest) => {
    const body = req.json as Record<string, string>;
    const ts = body.thread_ts === undefined ? "1762161312.000100" : "1762161400.000200";
    return { body: { ok: true, channel: body.channel, ts: req.path === "/api/chat.update" ? body.ts : ts } };
  });
  jira = await startLoopback((req) => {
    if (req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
    if (req.path === "/rest/api/3/issue") return { status: 201, body: { id: "10042", key: "IT-42", self: "x" } };
    if (req.method === "GET" && req.path.endsWith("/comment")) return { body: { comments: [], total: 0 } };
    if (req.path.endsWith("/comment")) return { status: 201, body: { id: "10050" } };
    return { status: 404, body: { errorMessages: ["no route"], errors: {} } };
  });
});
afterEach(async () => {
  await slack.close();
  await jira.close();
});

describe("the pipeline with the Slack and Jira sinks", () => {
  it("opens a ticket, alerts Slack with its link, and threads the reactivation onto both", async () => {
    const layer = Layer.mergeAll(
      sinksLayer([makeJiraSink(jiraSettings(jira.url)), makeSlackSink(slackSettings(slack.url))]),
      DeliveryLedger.inMemory(),
      HrisDirectory.none,
      PipelineConfig.layer(),
    );
    const runtime = ManagedRuntime.make(layer);
    const deactivate = oktaLogEvent("uuid-deactivate-1", "user.lifecycle.deactivate", "2026-11-03T09:15:12.345Z");
    const reactivate = oktaLogEvent("uuid-reactivate-1", "user.lifecycle.reactivate", "2026-11-04T10:00:00.000Z");

    const first: RecordOutcome = await runtime.runPromise(
      processRecord({ id: "m1", body: JSON.stringify(deactivate) }),
    );
    const second: RecordOutcome = await runtime.runPromise(
      processRecord({ id: "m2", body: JSON.stringify(reactivate) }),
    );
    await runtime.dispose();

    expect(first.status).toBe("delivered");
    expect(second.status).toBe("delivered");
    expect(jira.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /rest/api/3/search/jql",
      "POST /rest/api/3/issue",
      "GET /rest/api/3/issue/IT-42/comment",
      "POST /rest/api/3/issue/IT-42/comment",
    ]);
    expect(slack.requests.map((r) => r.path)).toEqual([
      "/api/chat.postMessage",
      "/api/chat.update",
      "/api/chat.postMessage",
    ]);
    const alert = slack.requests[0]?.json as Record<string, string>;
    expect(alert.blocks).toContain(`*Jira*\\n<${jira.url}/browse/IT-42|IT-42>`);
    const update = slack.requests[1]?.json as Record<string, string>;
    expect(update.ts).toBe("1762161312.000100");
    expect(update.blocks).toContain("Deactivated → Reactivated");
    const reply = slack.requests[2]?.json as Record<string, string>;
    expect(reply.thread_ts).toBe("1762161312.000100");
  });

  it("opens no ticket for a deactivation that arrives after the reactivation that undid it, and flags the alert", async () => {
    const layer = Layer.mergeAll(
      sinksLayer([makeJiraSink(jiraSettings(jira.url)), makeSlackSink(slackSettings(slack.url))]),
      DeliveryLedger.inMemory(),
      HrisDirectory.none,
      PipelineConfig.layer(),
    );
    const runtime = ManagedRuntime.make(layer);
    const deactivate = oktaLogEvent("uuid-deactivate-2", "user.lifecycle.deactivate", "2026-11-03T09:15:12.345Z");
    const reactivate = oktaLogEvent("uuid-reactivate-2", "user.lifecycle.reactivate", "2026-11-04T10:00:00.000Z");

    await runtime.runPromise(processRecord({ id: "m1", body: JSON.stringify(reactivate) }));
    const late: RecordOutcome = await runtime.runPromise(processRecord({ id: "m2", body: JSON.stringify(deactivate) }));
    await runtime.dispose();

    expect(late.status).toBe("delivered");
    expect(late.events[0]?.supersededBy).toMatchObject({ kind: "reactivated", eventId: "uuid-reactivate-2" });
    expect(jira.requests).toEqual([]);
    const alert = slack.requests.at(-1)?.json as Record<string, string>;
    expect(alert.thread_ts).toBeUndefined();
    expect(alert.blocks).toContain("*Arrived late*: Okta already reported this user *reactivated*");
    expect(alert.blocks).not.toContain("*Jira*");
    expect(alert.text).toContain("arrived late");
  });
});
