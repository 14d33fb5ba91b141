/**
 * Errors raised while managing an Okta log stream from the CloudFormation custom resource.
 * Each one carries a message written for the operator who reads it in the CloudFormation console:
 * what failed, what Okta said, and what to change. None ever contains the API token.
 */
import type {
  OktaApiError,
  OktaAuthError,
  OktaNetworkError,
  OktaRequestRefusedError,
  OktaRetriesExhaustedError,
} from "@offboard/adapters/okta";
import { Data } from "effect";
import type { OktaTokenSecretError } from "./secret.ts";

// The Okta client's errors live with the client (@offboard/adapters, okta/); re-exported for callers here.
export {
  OktaApiError,
  OktaAuthError,
  OktaNetworkError,
  OktaRequestRefusedError,
  OktaRetriesExhaustedError,
} from "@offboard/adapters/okta";

/** The custom resource's properties are missing or malformed, or the requested change is impossible. */
export class LogStreamConfigError extends Data.TaggedError("LogStreamConfigError")<{
  readonly message: string;
}> {}

export { OktaTokenSecretError } from "./secret.ts";

export type OktaLogStreamError =
  | OktaApiError
  | OktaAuthError
  | OktaRetriesExhaustedError
  | OktaNetworkError
  | OktaRequestRefusedError
  | LogStreamConfigError
  | OktaTokenSecretError;
