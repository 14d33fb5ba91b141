import { type Loopback, startLoopback } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeJiraSink } from "../../src/jira/sink.ts";
import { deliveryContext, JIRA_TOKEN, jiraSettings, offboardingEvent, run } from "../slack-jira.factories.ts";

/**
 * Redirects from Jira: a 307 to another origin would repeat the request, with the API token and the
 * offboarded person's details, to another host. Loopback servers on two ports stand in for Jira and
 * for that other host.
 */
let jira: Loopback;
let elsewhere: Loopback;
beforeEach(async () => {
  elsewhere = await startLoopback(() => ({ status: 201, body: { id: "1", key: "EVIL-1", self: "x" } }));
  jira = await startLoopback((req) => {
    if (req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
    if (req.path === "/rest/api/3/issue")
      return { status: 307, headers: { location: `${elsewhere.url}/rest/api/3/issue` } };
    return { status: 404, body: { errorMessages: ["no route"], errors: {} } };
  });
});
afterEach(async () => {
  await jira.close();
  await elsewhere.close();
});

describe("the Jira client", () => {
  it("refuses a 307 to another origin: a permanent failure, and the other host receives nothing", async () => {
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    const result = await run(sink.deliver(event, deliveryContext(event)));

    expect(result._tag === "Failure" && result.failure).toMatchObject({
      sink: "jira",
      failure: "permanent",
      code: "redirect",
    });
    expect(result._tag === "Failure" && result.failure.message).toContain(
      `refused a redirect (HTTP 307) from ${jira.url} to another origin, ${elsewhere.url}`,
    );
    expect(result._tag === "Failure" && JSON.stringify(result.failure)).not.toContain(JIRA_TOKEN);
    expect(elsewhere.requests).toEqual([]);
  });

  it("follows a redirect within the site's origin", async () => {
    jira.handle((req) => {
      if (req.path === "/rest/api/3/search/jql") return { body: { issues: [], isLast: true } };
      if (req.path === "/rest/api/3/issue" && req.query.get("moved") !== "1") {
        return { status: 307, headers: { location: "/rest/api/3/issue?moved=1" } };
      }
      if (req.path === "/rest/api/3/issue/IT-7/properties/offboard") return { status: 200, body: {} };
      return { status: 201, body: { id: "10007", key: "IT-7", self: `${jira.url}/rest/api/3/issue/10007` } };
    });
    const sink = makeJiraSink(jiraSettings(jira.url, { maxRetries: 2 }));
    const event = offboardingEvent();

    await run(sink.deliver(event, deliveryContext(event)));

    expect(jira.requests.filter((r) => r.path === "/rest/api/3/issue").map((r) => r.method)).toEqual(["POST", "POST"]);
    expect(elsewhere.requests).toEqual([]);
  });
});
