import type { LifecycleKind } from "@offboard/core";
import { isLifecycleKind, LIFECYCLE_KINDS } from "@offboard/core";
import type { SettingsReader, SinkDefinition } from "../sink-definition.ts";
import {
  DEFAULT_JIRA_CHECKLIST,
  DEFAULT_JIRA_ISSUE_TYPE,
  DEFAULT_JIRA_KINDS,
  JIRA_SINK,
  type JiraSettings,
} from "./settings.ts";
import { makeJiraSink } from "./sink.ts";

/** A comma list of lifecycle kinds; unknown ones are named in one problem. */
const readKinds = (r: SettingsReader, name: string): ReadonlyArray<LifecycleKind> | undefined => {
  const items = r.list(name, ",");
  if (items === undefined) return undefined;
  const unknown = items.filter((k) => !isLifecycleKind(k));
  if (unknown.length > 0) {
    r.problems.push(
      `${name} has unknown kind${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; known kinds are ${LIFECYCLE_KINDS.join(", ")}`,
    );
    return undefined;
  }
  return items.filter(isLifecycleKind);
};

/**
 * The Jira sink's configuration: active with JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and
 * JIRA_PROJECT_KEY; rows in docs/configuration.md.
 */
export const jiraSink: SinkDefinition<JiraSettings> = {
  name: JIRA_SINK,
  keys: [
    { name: "JIRA_BASE_URL", secret: false, description: "Jira Cloud site, e.g. https://acme.atlassian.net" },
    { name: "JIRA_EMAIL", secret: false, description: "Email of the Atlassian account the API token belongs to" },
    { name: "JIRA_API_TOKEN", secret: true, description: "Atlassian API token of that account" },
    { name: "JIRA_PROJECT_KEY", secret: false, description: "Project the tickets go to, e.g. IT" },
    {
      name: "JIRA_ISSUE_TYPE",
      secret: false,
      default: DEFAULT_JIRA_ISSUE_TYPE,
      description: "Issue type name of the tickets",
    },
    {
      name: "JIRA_KINDS",
      secret: false,
      default: DEFAULT_JIRA_KINDS.join(","),
      description: "Comma list of lifecycle kinds whose final state needs an open offboarding ticket",
    },
    {
      name: "JIRA_CHECKLIST",
      secret: false,
      default: "(seven standard steps)",
      description: "Offboarding steps listed in each ticket, `;`-separated",
    },
    {
      name: "JIRA_REACTIVATE_TRANSITION",
      secret: false,
      description: "Workflow transition applied to the case's ticket on reactivation",
    },
    { name: "JIRA_LABELS", secret: false, description: "Comma list of extra labels" },
  ],
  requires: ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"],
  read: (r) => {
    const baseUrl = r.url("JIRA_BASE_URL", { credentials: true });
    const email = r.string("JIRA_EMAIL");
    if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      r.problems.push("JIRA_EMAIL must be the email address of the Atlassian account the API token belongs to");
    }
    const apiToken = r.redacted("JIRA_API_TOKEN");
    const projectKey = r.string("JIRA_PROJECT_KEY");
    if (projectKey !== undefined && !/^[A-Z][A-Z0-9_]+$/.test(projectKey)) {
      r.problems.push("JIRA_PROJECT_KEY must be a project key such as IT or SEC (capital letters, digits, underscore)");
    }
    const issueType = r.string("JIRA_ISSUE_TYPE") ?? DEFAULT_JIRA_ISSUE_TYPE;
    const kinds = readKinds(r, "JIRA_KINDS") ?? DEFAULT_JIRA_KINDS;
    const checklist = r.list("JIRA_CHECKLIST", ";") ?? DEFAULT_JIRA_CHECKLIST;
    const reactivateTransition = r.string("JIRA_REACTIVATE_TRANSITION");
    const labels = r.list("JIRA_LABELS", ",") ?? [];
    if (labels.some((l) => /\s/.test(l))) {
      r.problems.push("JIRA_LABELS must be a comma-separated list of labels without spaces");
    }
    if (baseUrl === undefined || email === undefined || apiToken === undefined || projectKey === undefined) {
      return undefined;
    }
    return {
      baseUrl,
      email,
      apiToken,
      projectKey,
      issueType,
      kinds,
      checklist,
      ...(reactivateTransition !== undefined ? { reactivateTransition } : {}),
      labels,
      timeoutMs: 5_000,
      maxRetries: 2,
    };
  },
  make: makeJiraSink,
  describe: (j) =>
    `project ${j.projectKey} at ${j.baseUrl}, issue type ${j.issueType}, tickets for ${j.kinds.join(", ")}${j.reactivateTransition !== undefined ? `, reactivation transition "${j.reactivateTransition}"` : ""}`,
};
