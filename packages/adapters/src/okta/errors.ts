/**
 * The Okta client's errors. Each carries a message written for the operator who reads it (CloudFormation
 * console, CLI, logs): what failed, what Okta said (bounded, credentials redacted), what to change.
 * `failure` classifies it like the other vendors' errors: `transient` (retrying later can help: 429,
 * 5xx, no response) or `permanent` (a configuration problem: 400, 401, 403, 404, refused URL).
 */
import type { FailureClass } from "@offboard/core";
import { Data } from "effect";

/** Okta answered with an error status we do not retry (400, 404 where unexpected, 5xx on a create...). */
export class OktaApiError extends Data.TaggedError("OktaApiError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: number;
  readonly failure: FailureClass;
  readonly errorCode?: string | undefined;
  readonly errorSummary?: string | undefined;
}> {}

/** Okta refused the credentials (401) or the credentials lack the permission (403). */
export class OktaAuthError extends Data.TaggedError("OktaAuthError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: 401 | 403;
  readonly failure: "permanent";
  readonly errorCode?: string | undefined;
}> {}

/** Okta kept answering 429 (or 5xx) until the bounded retry budget ran out. */
export class OktaRetriesExhaustedError extends Data.TaggedError("OktaRetriesExhaustedError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: number;
  readonly attempts: number;
  readonly failure: "transient";
}> {}

/** The request never got an HTTP answer (DNS, TLS, connection reset, timeout). */
export class OktaNetworkError extends Data.TaggedError("OktaNetworkError")<{
  readonly message: string;
  readonly operation: string;
  readonly failure: "transient";
  readonly cause: unknown;
}> {}

/**
 * The client refused to send a request: a plain-http URL to a host that is not loopback, a redirect to
 * another origin, a malformed org URL, or an incomplete credential. Never retried.
 */
export class OktaRequestRefusedError extends Data.TaggedError("OktaRequestRefusedError")<{
  readonly message: string;
  readonly operation: string;
  readonly failure: "permanent";
}> {}

export type OktaError =
  | OktaApiError
  | OktaAuthError
  | OktaRetriesExhaustedError
  | OktaNetworkError
  | OktaRequestRefusedError;

/** True for any of the Okta client's errors. */
export const isOktaError = (e: unknown): e is OktaError =>
  typeof e === "object" &&
  e !== null &&
  "_tag" in e &&
  [
    "OktaApiError",
    "OktaAuthError",
    "OktaRetriesExhaustedError",
    "OktaNetworkError",
    "OktaRequestRefusedError",
  ].includes(String((e as { _tag: unknown })._tag));
