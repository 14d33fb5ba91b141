/**
 * @offboard/adapters: driven adapters for the core's ports (Slack, Jira, BambooHR, Secrets Manager,
 * ledgers, console preview) and the configuration that builds them. Each adapter file adds one export
 * line here.
 */

export * from "./bamboohr/directory.ts";
export * from "./config/config.ts";
export * from "./errors.ts";
export * from "./jira/issue.ts";
export * from "./jira/sink.ts";
export * from "./ledger/dynamodb.ts";
export * from "./ledger/sqlite.ts";
export * from "./preview/console.ts";
export * from "./preview/outbox.ts";
export * from "./registry.ts";
export * from "./secrets/secret-cache.ts";
export * from "./settings.ts";
export * from "./slack/message.ts";
export * from "./slack/sink.ts";
