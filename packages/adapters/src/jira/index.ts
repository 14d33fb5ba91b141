/**
 * `@offboard/adapters/jira`: the Jira sink (an offboarding ticket per deactivation, found again by the
 * event's uuid before creating; follow-ups as comments and transitions). Imports `jira.js`, and no other
 * vendor's SDK.
 *
 * @example
 * ```ts
 * import { makeJiraSink } from "@offboard/adapters/jira";
 *
 * const jira = makeJiraSink(settings); // JiraSettings: base URL, email, Redacted API token, project key, …
 * ```
 *
 * @packageDocumentation
 */
export { jiraSink } from "./definition.ts";
export {
  DEFAULT_JIRA_CHECKLIST,
  DEFAULT_JIRA_ISSUE_TYPE,
  DEFAULT_JIRA_KINDS,
  JIRA_SINK,
  type JiraSettings,
} from "./settings.ts";
export { makeJiraSink } from "./sink.ts";
