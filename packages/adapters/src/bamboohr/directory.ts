/**
 * The HR directory over BambooHR's REST API. Adapters only fetch; the core's `judgeHris` decides drift.
 *
 * Why a custom report (`POST /v1/reports/custom?format=JSON`) rather than the employee directory:
 * BambooHR documents that a custom report "includes all employees regardless of status (both Active and
 * Inactive)", while `GET /v1/employees/directory` lists current employees only and can be switched off
 * by the company. A terminated person must be found to tell "HR agrees" from "not found". One request
 * reads the whole company (id, work email, status, termination date, department, supervisor); the
 * email index is cached for `cacheTtlMs`, so a burst of offboardings costs one request.
 *
 * Auth: HTTP Basic with the API key as the user name and any password ("x"). Failures of any kind
 * become the core's `HrisError` (the alert then says "HRIS: unavailable"); nothing here throws.
 */
import { type Employee, HrisDirectory, HrisError } from "@offboard/core";
import { Duration, Effect, Exit, Layer, Redacted, Result, Schema } from "effect";
import { CrossOriginRedirectError, sameOriginFetch } from "../same-origin.ts";
import { failure, networkFailure, statusFailure } from "./errors.ts";
import type { BambooHrSettings } from "./settings.ts";

export const BAMBOOHR_DEFAULT_BASE_URL = "https://api.bamboohr.com";

/** The fields the report asks for. Fields the key may not read are silently left out by BambooHR. */
export const BAMBOOHR_REPORT_FIELDS = [
  "id",
  "workEmail",
  "status",
  "terminationDate",
  "department",
  "supervisor",
  "displayName",
  "firstName",
  "lastName",
] as const;

/** `https://api.bamboohr.com/api/gateway.php/{companyDomain}/v1/` (or the same under BAMBOOHR_BASE_URL). */
export const bambooHrApiRoot = (settings: Pick<BambooHrSettings, "companyDomain" | "baseUrl">): string => {
  const base = (settings.baseUrl ?? BAMBOOHR_DEFAULT_BASE_URL).replace(/\/+$/, "");
  return `${base}/api/gateway.php/${encodeURIComponent(settings.companyDomain)}/v1/`;
};

const Text = Schema.optionalKey(Schema.NullOr(Schema.String));
const Row = Schema.Struct({
  id: Schema.Union([Schema.String, Schema.Number]),
  workEmail: Text,
  status: Text,
  terminationDate: Text,
  department: Text,
  supervisor: Text,
  displayName: Text,
  firstName: Text,
  lastName: Text,
});
const Report = Schema.Struct({ employees: Schema.Array(Row) });
const decodeReport = Schema.decodeUnknownResult(Report);
type ReportRow = (typeof Row)["Type"];

const present = (s: string | null | undefined): string | undefined => {
  const t = s?.trim();
  return t === undefined || t.length === 0 ? undefined : t;
};

/** BambooHR writes "0000-00-00" (or nothing) when there is no termination date. */
const isoDate = (s: string | null | undefined): string | undefined => {
  const t = present(s);
  return t !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(t) && t !== "0000-00-00" ? t : undefined;
};

/** Maps one report row to the core's `Employee`; rows without a work email are not indexed. */
export const employeeFromRow = (row: ReportRow): Employee | undefined => {
  const email = present(row.workEmail);
  if (email === undefined) return undefined;
  const name =
    present(row.displayName) ??
    present([present(row.firstName), present(row.lastName)].filter((x) => x !== undefined).join(" "));
  const terminationDate = isoDate(row.terminationDate);
  const department = present(row.department);
  const manager = present(row.supervisor);
  return {
    id: String(row.id),
    email,
    status: present(row.status)?.toLowerCase() === "active" ? "active" : "inactive",
    ...(name !== undefined ? { displayName: name } : {}),
    ...(terminationDate !== undefined ? { terminationDate } : {}),
    ...(department !== undefined ? { department } : {}),
    ...(manager !== undefined ? { manager } : {}),
  };
};

/**
 * When a work email appears on more than one record (a rehire often gets a new record), the active one
 * wins; between inactive ones, the latest termination date.
 */
const prefer = (a: Employee, b: Employee): Employee => {
  if (a.status !== b.status) return a.status === "active" ? a : b;
  return (b.terminationDate ?? "") > (a.terminationDate ?? "") ? b : a;
};

/** Builds the lowercase-email index from a decoded report. */
export const indexEmployees = (rows: ReadonlyArray<ReportRow>): ReadonlyMap<string, Employee> => {
  const byEmail = new Map<string, Employee>();
  for (const row of rows) {
    const employee = employeeFromRow(row);
    if (employee === undefined) continue;
    const key = employee.email.toLowerCase();
    const existing = byEmail.get(key);
    byEmail.set(key, existing === undefined ? employee : prefer(existing, employee));
  }
  return byEmail;
};

/** Options of the BambooHR directory beyond its settings. */
export interface BambooHrOptions {
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/**
 * The `HrisDirectory` service value over BambooHR. The company's email index is read on the first lookup
 * and cached for `settings.cacheTtlMs` (`Effect.cachedWithTTL`: concurrent lookups share one request; a
 * failed read is not cached, so the next lookup asks again).
 */
export const makeBambooHrDirectory = (
  settings: BambooHrSettings,
  options: BambooHrOptions = {},
): HrisDirectory["Service"] => {
  // Redirects only within BambooHR's origin: the request carries the API key and asks for every
  // employee's data, and a redirect elsewhere would repeat it to another host.
  const doFetch = sameOriginFetch(options.fetch ?? fetch);
  const url = `${bambooHrApiRoot(settings)}reports/custom?format=JSON`;

  const load = async (): Promise<ReadonlyMap<string, Employee>> => {
    const auth = Buffer.from(`${Redacted.value(settings.apiKey)}:x`).toString("base64");
    let res: Response;
    let body: string;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: {
          Authorization: `Basic ${auth}`,
          Accept: "application/json",
          // Exactly this: BambooHR parses any other Content-Type (even with "; charset") as XML.
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ title: "offboard HRIS cross-check", fields: BAMBOOHR_REPORT_FIELDS }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      body = await res.text();
    } catch (cause) {
      if (cause instanceof CrossOriginRedirectError) {
        throw failure(`BambooHR ${cause.message}; check BAMBOOHR_BASE_URL and BAMBOOHR_COMPANY_DOMAIN`, cause);
      }
      throw networkFailure(cause, settings.timeoutMs);
    }
    if (!res.ok) throw statusFailure(res, body);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw failure(`BambooHR answered ${res.status} with a body that is not JSON`);
    }
    const decoded = decodeReport(json);
    if (Result.isFailure(decoded)) {
      throw failure(`BambooHR's report has an unexpected shape: ${decoded.failure.message}`);
    }
    const rows = decoded.success.employees;
    if (rows.length > 0 && rows.every((r) => r.status === undefined)) {
      // BambooHR silently drops fields the key's user may not see; without status nobody can be judged.
      throw failure("BambooHR's report has no status field: the API key's user cannot see employment status");
    }
    return indexEmployees(rows);
  };

  const loadOnce = Effect.tryPromise({
    try: load,
    catch: (cause) => (cause instanceof HrisError ? cause : failure("BambooHR lookup failed", cause)),
  });
  // Building the cache is a synchronous allocation (no I/O): run it here so the service stays a plain value.
  const index = Effect.runSync(
    Effect.cachedWithTTL(loadOnce, (exit) =>
      Exit.isSuccess(exit) ? Duration.millis(settings.cacheTtlMs) : Duration.zero,
    ),
  );

  const findByEmail = Effect.fn("BambooHrDirectory.findByEmail")(function* (email: string) {
    return (yield* index).get(email.trim().toLowerCase());
  });

  return { configured: true, findByEmail };
};

/** The BambooHR directory as a layer for the core's `HrisDirectory` port. */
export const BambooHrDirectory = {
  layer: (settings: BambooHrSettings, options?: BambooHrOptions): Layer.Layer<HrisDirectory> =>
    Layer.sync(HrisDirectory, () => makeBambooHrDirectory(settings, options)),
};
