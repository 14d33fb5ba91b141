/**
 * @offboard/adapters: driven adapters for the core's ports (Slack, Jira, BambooHR, Secrets Manager,
 * ledgers, console preview) and the configuration that builds them. Each adapter file adds one export
 * line here.
 */
export * from "./settings.ts";
