/** Factories for Okta payloads in tests: realistic defaults, override what the test is about. */
let seq = 0;

export interface UserSpec {
  readonly id?: string;
  readonly login?: string;
  readonly displayName?: string;
}

export const oktaUser = (spec: UserSpec = {}) => {
  seq += 1;
  return {
    id: spec.id ?? `00u${String(seq).padStart(17, "0")}`,
    type: "User",
    alternateId: spec.login ?? `user${seq}@example.com`,
    displayName: spec.displayName ?? `User ${seq}`,
    detailEntry: null,
  };
};

/** A LogEvent as Okta's System Log API returns it. */
export const logEvent = (overrides: Record<string, unknown> = {}) => {
  seq += 1;
  return {
    uuid: `5e1b7a3c-${String(seq).padStart(4, "0")}-11ef-9a1b-0242ac120002`,
    published: `2026-11-03T09:${String(seq % 60).padStart(2, "0")}:12.345Z`,
    eventType: "user.lifecycle.deactivate",
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
    target: [oktaUser()],
    transaction: { type: "WEB", id: "YmFzZTY0dHhpZA", detail: {} },
    debugContext: { debugData: { requestId: "req-1" } },
    authenticationContext: { externalSessionId: "102abc" },
    securityContext: {},
    request: { ipChain: [{ ip: "198.51.100.7" }] },
    ...overrides,
  };
};

/** An EventBridge envelope as Okta Log Streaming delivers it. */
export const envelope = (detail: unknown, overrides: Record<string, unknown> = {}) => ({
  version: "0",
  id: "4ab6d852-2b8e-4c2b-9d3b-7a1f0e9c1234",
  "detail-type": "SystemLog",
  source: "aws.partner/okta.com/acme/offboard",
  account: "123456789012",
  time: "2026-11-03T09:00:13Z",
  region: "eu-west-1",
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
