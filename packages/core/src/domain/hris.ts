import { type LifecycleKind, OFFBOARDING_KINDS } from "./catalogue.ts";

/** An employee record as the HR system (BambooHR, …) returns it; adapters only fetch, the core judges. */
export interface Employee {
  readonly id: string;
  readonly email: string;
  readonly displayName?: string;
  /** The HR system's employment status, normalised: active, or not. */
  readonly status: "active" | "inactive";
  /** ISO date (YYYY-MM-DD) of termination, when HR has one. */
  readonly terminationDate?: string;
  readonly department?: string;
  readonly manager?: string;
}

/** What the HR cross-check found, for the sinks to show. */
export type HrisStatus =
  | { readonly _tag: "NotChecked"; readonly why: string }
  | { readonly _tag: "Unavailable"; readonly message: string }
  | { readonly _tag: "NotFound"; readonly email: string }
  | { readonly _tag: "Agrees"; readonly employee: Employee; readonly summary: string }
  | { readonly _tag: "Drift"; readonly employee: Employee; readonly summary: string };

/**
 * Does HR agree with what Okta just did? Offboarded in Okta while HR shows the person active with no
 * termination date on or before today is drift; so is a reactivation of someone HR has terminated.
 */
export const judgeHris = (kind: LifecycleKind, employee: Employee, today: string): HrisStatus => {
  const terminated =
    employee.status === "inactive" || (employee.terminationDate !== undefined && employee.terminationDate <= today);
  const when = employee.terminationDate !== undefined ? ` (termination date ${employee.terminationDate})` : "";
  if (OFFBOARDING_KINDS.has(kind)) {
    return terminated
      ? { _tag: "Agrees", employee, summary: `HR shows terminated${when}` }
      : {
          _tag: "Drift",
          employee,
          summary:
            employee.terminationDate !== undefined
              ? `HR shows active until ${employee.terminationDate}`
              : "HR shows active with no termination date",
        };
  }
  return terminated
    ? { _tag: "Drift", employee, summary: `HR shows terminated${when}` }
    : { _tag: "Agrees", employee, summary: "HR shows active" };
};

/** A one-line text for alerts: "HRIS: unavailable", "HRIS: drift: HR shows active …", … */
export const hrisLine = (status: HrisStatus): string => {
  switch (status._tag) {
    case "NotChecked":
      return `HRIS: not checked (${status.why})`;
    case "Unavailable":
      return "HRIS: unavailable";
    case "NotFound":
      return "HRIS: no employee with this email";
    case "Agrees":
      return `HRIS: agrees (${status.summary})`;
    case "Drift":
      return `HRIS: DRIFT (${status.summary})`;
  }
};
