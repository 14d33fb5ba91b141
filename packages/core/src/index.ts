/**
 * @offboard/core: the pure domain. Decode any Okta delivery shape, normalise it into an
 * `OffboardingEvent`, decide (route / ignore / reject), and run the delivery pipeline over the ports.
 * Imports effect only: no AWS, no HTTP, no process.env.
 */
export * from "./cases/case-record.ts";
export * from "./cases/machine.ts";
export * from "./domain/catalogue.ts";
export * from "./domain/decide.ts";
export * from "./domain/event.ts";
export * from "./domain/hris.ts";
export * from "./domain/receipt-refs.ts";
export * from "./errors.ts";
export * from "./okta/decode.ts";
export * from "./okta/log-event.ts";
export * from "./okta/org-url.ts";
export * from "./pipeline.ts";
export * from "./policy/error-policy.ts";
export * from "./policy/policy.ts";
export * from "./ports/hris.ts";
export * from "./ports/ledger.ts";
export * from "./ports/sink.ts";
export * from "./ports/user-status.ts";
export * from "./testing.ts";
