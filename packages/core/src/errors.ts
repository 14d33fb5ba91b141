import { Data } from "effect";

/**
 * Why an input was rejected. Every rejection carries one of these codes plus a human message; the
 * Lambda worker puts both on the DLQ message so an operator can see at a glance what went wrong.
 */
export type RejectCode =
  /** The body is not JSON (nor JSON Lines). */
  | "not-json"
  /** JSON, but not any Okta delivery shape (no EventBridge envelope, hook payload, array or LogEvent). */
  | "not-okta"
  /** An EventBridge envelope whose `source` is not an Okta partner source. */
  | "untrusted-source"
  /**
   * The queue worker accepts EventBridge envelopes only (from Okta's partner source or offboard's own
   * poller and event hook); any other shape (bare LogEvent, Event Hook body, SNS or HTTP wrapper) sent
   * straight to the queue is not trusted.
   */
  | "untrusted-shape"
  /** An id longer than 256 characters, or any other field longer than 64 KB. */
  | "field-too-long"
  /** An Okta-shaped object without a usable `eventType`. */
  | "invalid-event"
  /** A handled lifecycle event with no `User` target (or one without an id): nothing to act on. */
  | "no-user-target"
  /** A sink failed in a way retrying cannot fix (bad token, missing channel, invalid field). */
  | "sink-permanent"
  /** The routing policy names a sink that is not configured; retried, then dead-lettered with this. */
  | "sink-inactive"
  /** The ledger refused the event's request as invalid (DynamoDB ValidationException): retrying cannot help. */
  | "ledger-rejected";

/** Input offboard cannot trust or act on. Rejected input is kept (DLQ with this reason), never dropped. */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly code: RejectCode;
  readonly message: string;
}> {}

/** How a sink failure should be treated. Adapters classify; `errorPolicy` decides what happens next. */
export type FailureClass = "transient" | "permanent";

/** A sink could not deliver. Adapters build these with the vendor's own message (never a secret). */
export class SinkError extends Data.TaggedError("SinkError")<{
  readonly sink: string;
  readonly failure: FailureClass;
  readonly message: string;
  /** The vendor's machine-readable code, such as Slack's `channel_not_found` or an HTTP status. */
  readonly code?: string;
  /** Milliseconds the vendor asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}> {}

/** The HR system could not be asked. Never fails delivery: the alert says "HRIS: unavailable". */
export class HrisError extends Data.TaggedError("HrisError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}

/**
 * The delivery ledger could not be read or written: transient (never deliver without a claim; the
 * record is retried), unless `permanent` (the store refused the request as invalid, so retrying the
 * same request cannot help: the record is dead-lettered with reason `ledger-rejected`).
 */
export class LedgerError extends Data.TaggedError("LedgerError")<{
  readonly message: string;
  readonly cause?: unknown;
  readonly permanent?: boolean;
}> {}

/** A routing policy or configuration value is invalid. Names the offending key. */
export class PolicyError extends Data.TaggedError("PolicyError")<{
  readonly message: string;
}> {}
