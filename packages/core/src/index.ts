/**
 * @offboard/core: the pure domain. Decode any Okta delivery shape, normalise it into an
 * `OffboardingEvent`, decide (route / ignore / reject), and run the delivery pipeline over the ports.
 * Imports effect only: no AWS, no HTTP, no process.env.
 *
 * Two ways in: the plain functions `classify`, `promiseSink` and `runPipeline` (no effect code needed),
 * or the effect API, `processBatch` over the `Sinks`, `DeliveryLedger`, `HrisDirectory` and
 * `PipelineConfig` services. Test doubles are in `@offboard/core/testing`. See docs/library.md.
 *
 * This list is the public API: each name is exported on purpose; helpers stay in their modules.
 *
 * @example
 * ```ts
 * import { classify, promiseSink, runPipeline } from "@offboard/core";
 *
 * const [decision] = classify(oktaDeliveryJson);
 * const log = promiseSink("log", async (event) => ({ ref: `${event.kind}:${event.subject.id}` }));
 * const { outcomes } = await runPipeline([{ id: "1", body: oktaDeliveryJson }], {
 *   sinks: [log],
 *   policy: { routes: { deactivated: ["log"] } },
 * });
 * ```
 *
 * @packageDocumentation
 */

// ── The per-user case state machine (pure) ──
export { caseStateOf, nextCaseRecord, ticketOf, ticketReceipt } from "./cases/case-record.ts";
export {
  batchOrder,
  type CaseEvent,
  type CaseHead,
  type CaseSettings,
  type CaseState,
  type CaseStep,
  DEFAULT_CASE_SETTINGS,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_TICKET_KINDS,
  EMPTY_CASE,
  needsTicket,
  publishedAt,
  statusNeedsTicket,
  stepCase,
  type TicketAction,
  type TicketStatus,
  type Timeliness,
  ticketAfterFailure,
  timelinessOf,
  withAuthoritativeStatus,
} from "./cases/machine.ts";
// ── The event-type catalogue (one source of truth for the EventBridge rule and the decoder) ──
export {
  type CatalogueEntry,
  EVENT_CATALOGUE,
  HANDLED_EVENT_TYPES,
  isLifecycleKind,
  LIFECYCLE_KINDS,
  type LifecycleKind,
  OFFBOARDING_KINDS,
  OKTA_PARTNER_SOURCE_PREFIX,
  oktaEventPattern,
} from "./domain/catalogue.ts";
// ── Decisions and the normalised event ──
export {
  type Decision,
  type Ignore,
  type IgnoreReason,
  looksLikeEmail,
  MAX_FIELD_LENGTH,
  MAX_ID_LENGTH,
  oversizedField,
  type Reject,
  type Route,
} from "./domain/decide.ts";
export {
  type ClientInfo,
  type OffboardingEvent,
  type Person,
  personLabel,
  personName,
  publishedMillis,
} from "./domain/event.ts";
export { type Employee, type HrisStatus, hrisLine } from "./domain/hris.ts";
export { type PlaceholderRef, RECEIPT_REF, refNamesArtefact } from "./domain/receipt-refs.ts";
// ── Errors ──
export {
  DecodeError,
  type FailureClass,
  HrisError,
  LedgerError,
  PolicyError,
  type RejectCode,
  SinkError,
} from "./errors.ts";
// ── Plain functions (no effect code needed) ──
export {
  classify,
  memoryLedger,
  type PipelineLedger,
  type PolicyJson,
  type PromiseReceipt,
  type PromiseSinkOptions,
  promiseSink,
  type RunPipelineOptions,
  type RunPipelineResult,
  runPipeline,
} from "./facade.ts";

// ── Decoding Okta deliveries ──
export {
  type Decoded,
  type DecodeResult,
  type DeliveryShape,
  decodeJsonLines,
  decodeText,
  decodeValue,
  OFFBOARD_EVENT_HOOK_SOURCE,
  OFFBOARD_POLLER_SOURCE,
  OFFBOARD_SOURCES,
  type Provenance,
  queueTrust,
  TRUST_ANY,
  type Trust,
  type Undecodable,
} from "./okta/decode.ts";
export type { LogEvent, OktaEntity } from "./okta/log-event.ts";
export {
  checkOktaOrgUrl,
  OKTA_ORG_DOMAINS,
  type OktaOrgUrlCheck,
  type OktaOrgUrlOptions,
} from "./okta/org-url.ts";

// ── The pipeline (effect API) ──
export {
  DEFAULT_SETTINGS,
  type Decided,
  decideBody,
  type InputRecord,
  PipelineConfig,
  type PipelineServices,
  type PipelineSettings,
  processBatch,
  processRecord,
} from "./pipeline.ts";
export {
  completionRetry,
  type EventOutcome,
  type IgnoredOutcome,
  type OutcomeReason,
  type RecordOutcome,
  type RecordStatus,
  type RejectedOutcome,
  type RoutedOutcome,
  SINK_INACTIVE_MAX_RECEIVES,
  type SinkOutcome,
  type SinkStatus,
  settleAfterReceives,
  type Verdict,
} from "./policy/error-policy.ts";
export { DEFAULT_POLICY, narrowRoutes, parsePolicy, parsePolicyJson, type RoutingPolicy } from "./policy/policy.ts";

// ── Ports ──
export { HrisDirectory } from "./ports/hris.ts";
export {
  type CaseRecord,
  type CaseTicket,
  type Claim,
  type Coordination,
  DeliveryLedger,
  type LedgerOperations,
  makeInMemoryLedger,
  type Settlement,
  type SharedList,
  type SharedRecord,
} from "./ports/ledger.ts";
export {
  type DeliveryContext,
  type Receipt,
  type Sink,
  Sinks,
  type Superseded,
  sinksLayer,
  sinksOf,
} from "./ports/sink.ts";
export { OktaUserStatus, type UserStatus, UserStatusError } from "./ports/user-status.ts";
// ── Text safety (what reaches people: Slack, Jira, terminals) ──
export { clipText, isInvisibleFormatting, safeText } from "./text/safe-text.ts";
