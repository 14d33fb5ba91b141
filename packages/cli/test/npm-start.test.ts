import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Loopback, startLoopback } from "@offboard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "./run-cli.ts";

/**
 * `npm start` replays the fictional example day. With Slack, Jira and BambooHR configured in the
 * environment (a developer's shell often has them) it must still only preview: loopback servers
 * standing in for all three receive no request.
 */
const START = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: { start: string } }).scripts
  .start;

let vendor: Loopback;
beforeAll(async () => {
  vendor = await startLoopback(() => ({ body: { ok: true, ts: "1700000000.000100", channel: "C0OFFBOARD" } }));
});
afterAll(async () => {
  await vendor.close();
});

describe("npm start", () => {
  it("previews the example day and calls no vendor, even with Slack, Jira and BambooHR configured", async () => {
    const [command, ...args] = START.split(/\s+/);
    expect(command).toBe("offboard");

    const r = await runCli(args, {
      env: {
        OFFBOARD_STATE_DIR: mkdtempSync(join(tmpdir(), "offboard-start-")),
        SLACK_BOT_TOKEN: "xoxb-fake_loopback-token",
        SLACK_CHANNEL_ID: "C0OFFBOARD",
        SLACK_API_URL: `${vendor.url}/api/`,
        JIRA_BASE_URL: vendor.url,
        JIRA_EMAIL: "bot@example.com",
        JIRA_API_TOKEN: "jira-loopback-token",
        JIRA_PROJECT_KEY: "IT",
        BAMBOOHR_COMPANY_DOMAIN: "acme",
        BAMBOOHR_API_KEY: "bamboo-loopback-key",
        BAMBOOHR_BASE_URL: vendor.url,
      },
    });

    expect(r.code).toBe(0);
    expect(r.stderr).toContain("preview only: nothing is sent to Slack, Jira or BambooHR");
    expect(r.stdout).toContain("Slack alert · suspended");
    expect(r.stdout).toContain("Jira ticket · deactivated");
    expect(vendor.requests.map((q) => `${q.method} ${q.path}`)).toEqual([]);
  });
});
