import { describe, expect, it } from "vitest";
import { nearestKey, unknownKeyWarnings } from "../../src/config/unknown-keys.ts";

const KNOWN = [
  "SLACK_BOT_TOKEN",
  "SLACK_CHANNEL_ID",
  "JIRA_BASE_URL",
  "JIRA_API_TOKEN",
  "OFFBOARD_STATE_DIR",
  "OKTA_ORG_URL",
];

describe("unknown configuration keys", () => {
  it("names the nearest known key for a typo", () => {
    expect(unknownKeyWarnings(["SLACK_BOT_TOKN", "PATH", "HOME"], KNOWN, "secret offboard/prod")).toEqual([
      "unknown key SLACK_BOT_TOKN in secret offboard/prod: did you mean SLACK_BOT_TOKEN? (it is ignored; known keys are listed in docs/configuration.md)",
    ]);
  });

  it("warns without a suggestion when nothing is close, and ignores keys without offboard's prefixes", () => {
    expect(
      unknownKeyWarnings(["OKTA_SOMETHING_ELSE_ENTIRELY", "AWS_REGION", "SLACKER"], KNOWN, "the environment"),
    ).toEqual([
      "unknown key OKTA_SOMETHING_ELSE_ENTIRELY in the environment (it is ignored; known keys are listed in docs/configuration.md)",
    ]);
  });

  it("says nothing about known keys", () => {
    expect(unknownKeyWarnings(KNOWN, KNOWN, "the environment")).toEqual([]);
  });

  it.each([
    ["JIRA_BASEURL", "JIRA_BASE_URL"],
    ["OFFBOARD_STATEDIR", "OFFBOARD_STATE_DIR"],
    ["SLACK_CHANEL_ID", "SLACK_CHANNEL_ID"],
  ])("%s → %s", (typo, known) => {
    expect(nearestKey(typo, KNOWN)).toBe(known);
  });
});
