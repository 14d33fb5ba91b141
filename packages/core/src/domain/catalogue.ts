/**
 * The event-type catalogue: the one source of truth for which Okta System Log event types offboard
 * acts on. The CDK rule (packages/infra), the decoder and the docs all read this table.
 */

/** What happened to the subject user. */
export type LifecycleKind = "suspended" | "unsuspended" | "deactivated" | "reactivated" | "deleted";

/** Every lifecycle kind, in the order docs and summaries list them. */
export const LIFECYCLE_KINDS: ReadonlyArray<LifecycleKind> = [
  "suspended",
  "unsuspended",
  "deactivated",
  "reactivated",
  "deleted",
];

/** True for a lifecycle kind's name (a receipt's stored `kind`, a setting's value). */
export const isLifecycleKind = (s: unknown): s is LifecycleKind =>
  typeof s === "string" && (LIFECYCLE_KINDS as ReadonlyArray<string>).includes(s);

/** The kinds that take access away: an offboarding. The others (unsuspended, reactivated) give it back. */
export const OFFBOARDING_KINDS: ReadonlySet<LifecycleKind> = new Set(["suspended", "deactivated", "deleted"]);

/** One handled Okta event type: its `eventType`, the lifecycle kind it means, and whether it is a follow-up. */
export interface CatalogueEntry {
  readonly eventType: string;
  readonly kind: LifecycleKind;
  /** True for follow-ups that undo an earlier event and thread onto its case. */
  readonly followUp: boolean;
  /** Okta's catalogue description. */
  readonly description: string;
}

/**
 * The Okta event types offboard handles, one entry each: the single source of truth for the decoder and the
 * EventBridge rule.
 */
export const EVENT_CATALOGUE: ReadonlyArray<CatalogueEntry> = [
  { eventType: "user.lifecycle.suspend", kind: "suspended", followUp: false, description: "Suspend Okta user." },
  { eventType: "user.lifecycle.unsuspend", kind: "unsuspended", followUp: true, description: "Unsuspend Okta user." },
  {
    eventType: "user.lifecycle.deactivate",
    kind: "deactivated",
    followUp: false,
    description: "Deactivate Okta user.",
  },
  { eventType: "user.lifecycle.reactivate", kind: "reactivated", followUp: true, description: "Reactivate Okta user." },
  {
    eventType: "user.lifecycle.delete.initiated",
    kind: "deleted",
    followUp: false,
    description: "Delete Okta user initiated.",
  },
];

/** The event types offboard handles, in catalogue order. */
export const HANDLED_EVENT_TYPES: ReadonlyArray<string> = EVENT_CATALOGUE.map((e) => e.eventType);

const byType = new Map(EVENT_CATALOGUE.map((e) => [e.eventType, e] as const));

/** The catalogue entry for an event type, or undefined when offboard does not handle it. */
export const catalogueEntry = (eventType: string): CatalogueEntry | undefined => byType.get(eventType);

/** The prefix every Okta partner event source starts with. */
export const OKTA_PARTNER_SOURCE_PREFIX = "aws.partner/okta.com/";
/** The `detail-type` Okta Log Streaming sets on every EventBridge event. */
export const OKTA_DETAIL_TYPE = "SystemLog";

/**
 * The EventBridge event pattern that selects exactly the handled events from an Okta partner bus.
 * The CDK rule uses it verbatim, and the end-to-end tests put it on moto's rule.
 */
export const oktaEventPattern = () => ({
  source: [{ prefix: OKTA_PARTNER_SOURCE_PREFIX }],
  "detail-type": [OKTA_DETAIL_TYPE],
  detail: { eventType: [...HANDLED_EVENT_TYPES] },
});
