import { HrisError } from "@offboard/core";
import { describeNetworkCause } from "../network.ts";

/**
 * BambooHR's failures as the core's `HrisError` (the alert then says "HRIS: unavailable"), each naming
 * its cause: the HTTP status with BambooHR's own message, or the network error underneath `fetch failed`.
 */

export const failure = (message: string, cause?: unknown): HrisError =>
  new HrisError(cause === undefined ? { message } : { message, cause });

const vendorMessage = (res: Response, body: string): string => {
  const header = res.headers.get("x-bamboohr-error-message");
  if (header !== null && header.length > 0) return header;
  return body.trim().slice(0, 200);
};

export const statusFailure = (res: Response, body: string): HrisError => {
  const said = vendorMessage(res, body);
  const suffix = said.length > 0 ? `: ${said}` : "";
  switch (res.status) {
    case 401:
      return failure(`BambooHR rejected the API key (401)${suffix}`);
    case 403:
      return failure(`BambooHR refused the report: the API key's user lacks access (403)${suffix}`);
    case 404:
      return failure(`BambooHR has no company with this BAMBOOHR_COMPANY_DOMAIN, or no such endpoint (404)${suffix}`);
    case 429:
      return failure(`BambooHR is rate limiting (429)${suffix}`);
    default:
      return failure(`BambooHR answered ${res.status}${suffix}`);
  }
};

/** A request that got no answer: a timeout, or the network error underneath `fetch failed`. */
export const networkFailure = (cause: unknown, timeoutMs: number): HrisError => {
  const name = (cause as { name?: string } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return failure(`BambooHR did not answer within ${timeoutMs} ms`, cause);
  }
  const why = describeNetworkCause(cause);
  return failure(`BambooHR is unreachable${why !== undefined ? `: ${why}` : ""}`, cause);
};
