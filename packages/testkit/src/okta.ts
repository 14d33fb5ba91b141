/**
 * The one set of factories for Okta payloads and what the pipeline makes of them, shared by every
 * package's tests: realistic defaults, override what the test is about.
 */
import {
  type CaseRecord,
  type DeliveryContext,
  EVENT_CATALOGUE,
  type HrisStatus,
  type LifecycleKind,
  type OffboardingEvent,
  type Receipt,
  type Superseded,
} from "@offboard/core";

let seq = 0;
const next = () => {
  seq += 1;
  return seq;
};
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** kind → Okta eventType, from core's catalogue (the one source of truth). */
export const LIFECYCLE_TYPES = Object.fromEntries(EVENT_CATALOGUE.map((e) => [e.kind, e.eventType])) as Readonly<
  Record<LifecycleKind, string>
>;

/** The partner event source Okta Log Streaming publishes as (org `acme`, stream `offboard`). */
export const PARTNER_SOURCE = "aws.partner/okta.com/acme/offboard";

/** When the factories' events happen: `published` is this plus `at` (default: a fresh sequence) seconds. */
export const BASE_TIME = "2026-11-03T09:00:00.000Z";

export interface UserSpec {
  readonly id?: string;
  readonly login?: string;
  readonly displayName?: string;
}

/** A fresh Okta user id. */
export const oktaUserId = (): string => `00u${pad(next(), 17)}`;

/** An Okta User entity (actor or target), a fresh user unless told otherwise. */
export const oktaUser = (spec: UserSpec = {}) => {
  const id = spec.id ?? oktaUserId();
  return {
    id,
    type: "User",
    alternateId: spec.login ?? `${id}@example.com`,
    displayName: spec.displayName ?? `User ${id}`,
    detailEntry: null,
  };
};

/** A LogEvent as the factories build it; every field can be overridden, even with an invalid value. */
export interface OktaEvent {
  readonly uuid: string;
  readonly eventType: string;
  readonly published: string;
  readonly target: ReadonlyArray<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

/** Shortcuts, plus any LogEvent field to override as it is (`uuid: null`, `outcome: {…}`, `target: […]`). */
export interface OktaEventSpec {
  /** `published` = BASE_TIME + `at` seconds (default: one second later than the previous event). */
  readonly at?: number;
  /** The User target: a fresh user unless given (ignored when `target` is overridden). */
  readonly subject?: UserSpec;
  readonly [field: string]: unknown;
}

/**
 * An Okta System Log LogEvent as the System Log API and Log Streaming deliver it: a deactivation of a
 * fresh user by an IT admin, unless told otherwise.
 */
export const oktaEvent = (spec: OktaEventSpec = {}): OktaEvent => {
  const { at, subject, ...overrides } = spec;
  const n = next();
  return {
    uuid: `7c1a2b3d-${pad(n % 10_000, 4)}-11ef-8f00-${pad(n, 12)}`,
    published: new Date(Date.parse(BASE_TIME) + (at ?? n) * 1000).toISOString(),
    eventType: LIFECYCLE_TYPES.deactivated,
    version: "0",
    severity: "INFO",
    legacyEventType: "core.user.config.user_deactivated",
    displayMessage: "Deactivate Okta user",
    actor: { id: "00uadmin000000000001", type: "User", alternateId: "it.admin@example.com", displayName: "IT Admin" },
    client: {
      userAgent: { rawUserAgent: "Mozilla/5.0", os: "Mac OS X", browser: "CHROME" },
      zone: "null",
      device: "Computer",
      id: null,
      ipAddress: "198.51.100.7",
      geographicalContext: { city: "Berlin", state: "Berlin", country: "Germany", postalCode: "10115" },
    },
    outcome: { result: "SUCCESS", reason: null },
    target: [oktaUser(subject)],
    transaction: { type: "WEB", id: `tx-${n}`, detail: {} },
    debugContext: { debugData: { requestId: `req-${n}` } },
    authenticationContext: { externalSessionId: "102abc" },
    securityContext: {},
    request: { ipChain: [{ ip: "198.51.100.7" }] },
    ...overrides,
  } as OktaEvent;
};

/** The Okta id of an event's first target (the subject). */
export const subjectIdOf = (event: OktaEvent): string => String(event.target[0]?.id ?? "");

/** An EventBridge envelope as Okta Log Streaming delivers it (what the SQS target receives as its body). */
export const envelope = (detail: unknown, overrides: Record<string, unknown> = {}) => ({
  version: "0",
  id: `4ab6d852-2b8e-4c2b-9d3b-${pad(next(), 12)}`,
  "detail-type": "SystemLog",
  source: PARTNER_SOURCE,
  account: "123456789012",
  time: "2026-11-03T09:00:13Z",
  region: "us-east-1",
  resources: [],
  detail,
  ...overrides,
});

/** An Okta Event Hook POST body. */
export const hookPayload = (events: ReadonlyArray<unknown>) => ({
  eventType: "com.okta.event_hook",
  eventTypeVersion: "1.0",
  cloudEventsVersion: "0.1",
  source: "https://acme.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
  eventId: "b5a188b9-5ece-4636-b041-482ffda96311",
  eventTime: "2026-11-03T09:00:14.000Z",
  contentType: "application/json",
  data: { events },
});

/** A routed offboarding event, as a sink receives it (a deactivation of Jane Doe by an IT admin, unless overridden). */
export const offboardingEvent = (overrides: Partial<OffboardingEvent> = {}): OffboardingEvent => ({
  id: `5e1b7a3c-${pad(next() % 10_000, 4)}-11ef-9a1b-0242ac120002`,
  kind: "deactivated",
  eventType: LIFECYCLE_TYPES.deactivated,
  occurredAt: "2026-11-03T09:15:12.345Z",
  subject: { id: "00u1abcdEFGHijkl0x7", login: "jane.doe@example.com", displayName: "Jane Doe", type: "User" },
  actor: { id: "00uadmin000000000001", login: "it.admin@example.com", displayName: "IT Admin", type: "User" },
  client: { ip: "198.51.100.7", geo: "Berlin, Berlin, Germany", userAgent: "Mozilla/5.0" },
  transactionId: "YmFzZTY0dHhpZA",
  ...overrides,
});

export interface DeliveryContextSpec {
  readonly case?: CaseRecord | undefined;
  readonly followUp?: boolean;
  readonly hris?: HrisStatus;
  readonly receipts?: ReadonlyArray<Receipt>;
  readonly supersededBy?: Superseded;
  /** Default `${event.id}:test`. */
  readonly idempotencyKey?: string;
}

/** What the pipeline hands a sink with `event`: no case, not a follow-up, HRIS not checked, unless told otherwise. */
export const deliveryContext = (event: OffboardingEvent, spec: DeliveryContextSpec = {}): DeliveryContext => ({
  case: spec.case,
  followUp: spec.followUp ?? false,
  hris: spec.hris ?? { _tag: "NotChecked", why: "not asked for this kind" },
  receipts: new Map((spec.receipts ?? []).map((r) => [r.sink, r] as const)),
  idempotencyKey: spec.idempotencyKey ?? `${event.id}:test`,
  ...(spec.supersededBy !== undefined && { supersededBy: spec.supersededBy }),
});
