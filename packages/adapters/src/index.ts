/**
 * @offboard/adapters: driven adapters for the core's ports (Slack, Jira, BambooHR, Secrets Manager,
 * ledgers, console preview) and the configuration that builds them. Each adapter file adds one export
 * line here.
 */

export * from "./bamboohr.ts";
export * from "./config.ts";
export * from "./console-preview.ts";
export * from "./dynamodb-ledger.ts";
export * from "./errors.ts";
export * from "./jira.ts";
export * from "./jira-issue.ts";
export * from "./outbox.ts";
export * from "./registry.ts";
export * from "./secrets.ts";
export * from "./settings.ts";
export * from "./slack.ts";
export * from "./slack-message.ts";
export * from "./sqlite-ledger.ts";
export * from "./state-dir.ts";
export * from "./unknown-keys.ts";
