/**
 * Errors raised while managing an Okta log stream from the CloudFormation custom resource.
 * Each one carries a message written for the operator who reads it in the CloudFormation console:
 * what failed, what Okta said, and what to change. None ever contains the API token.
 */
import { Data } from "effect";

/** Okta answered with an error status we do not retry (400, 404 where unexpected, 5xx on a create...). */
export class OktaApiError extends Data.TaggedError("OktaApiError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: number;
  readonly errorCode?: string | undefined;
  readonly errorSummary?: string | undefined;
}> {}

/** Okta refused the credentials (401) or the credentials lack the permission (403). */
export class OktaAuthError extends Data.TaggedError("OktaAuthError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: 401 | 403;
  readonly errorCode?: string | undefined;
}> {}

/** Okta kept answering 429 (or 5xx) until the bounded retry budget ran out. */
export class OktaRetriesExhaustedError extends Data.TaggedError("OktaRetriesExhaustedError")<{
  readonly message: string;
  readonly operation: string;
  readonly status: number;
  readonly attempts: number;
}> {}

/** The request never got an HTTP answer (DNS, TLS, connection reset, timeout). */
export class OktaNetworkError extends Data.TaggedError("OktaNetworkError")<{
  readonly message: string;
  readonly operation: string;
  readonly cause: unknown;
}> {}

/** The custom resource's properties are missing or malformed, or the requested change is impossible. */
export class LogStreamConfigError extends Data.TaggedError("LogStreamConfigError")<{
  readonly message: string;
}> {}

/** The Okta API token could not be read from Secrets Manager. */
export class OktaTokenSecretError extends Data.TaggedError("OktaTokenSecretError")<{
  readonly message: string;
  readonly secretArn: string;
}> {}

export type OktaLogStreamError =
  | OktaApiError
  | OktaAuthError
  | OktaRetriesExhaustedError
  | OktaNetworkError
  | LogStreamConfigError
  | OktaTokenSecretError;
