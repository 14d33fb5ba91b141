/**
 * Synthetic Okta Log Streaming deliveries for the benchmarks: EventBridge envelopes around System Log
 * `LogEvent`s shaped like the real samples (client, geo, authenticationContext, securityContext,
 * debugContext, request.ipChain), 1.5–3 KB of JSON each. Deterministic (seeded), so every run measures
 * the same input. Written for the benchmarks; the real samples in ../shared/fixtures are never copied.
 */

/** mulberry32: a tiny seeded PRNG, good enough to vary fixtures reproducibly. */
export const prng = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[int(xs.length)] as T;
  return { next, int, pick };
};
export type Rng = ReturnType<typeof prng>;

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const chars = (rng: Rng, alphabet: string, n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
};
/** Okta object ids: a 3-letter prefix and 17 alphanumerics (`00u…` users, `0oa…` apps). */
const oktaId = (rng: Rng, prefix: string) => prefix + chars(rng, ALNUM, 17);
const uuid = (rng: Rng) =>
  `${chars(rng, HEX, 8)}-${chars(rng, HEX, 4)}-1${chars(rng, HEX, 3)}-${chars(rng, HEX, 4)}-${chars(rng, HEX, 12)}`;

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus", "Margaret", "Donald", "Frances"];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Thompson",
  "Perlman",
  "Hamilton",
  "Knuth",
  "Allen",
];
const PLACES = [
  { city: "New York", state: "New York", country: "United States", postalCode: "10013", lat: 40.7157, lon: -74.01 },
  { city: "Ashburn", state: "Virginia", country: "United States", postalCode: "20149", lat: 39.0481, lon: -77.4728 },
  { city: "Dublin", state: "Leinster", country: "Ireland", postalCode: "D02", lat: 53.3498, lon: -6.2603 },
  { city: "Berlin", state: "Land Berlin", country: "Germany", postalCode: "10115", lat: 52.52, lon: 13.405 },
  { city: "Sydney", state: "New South Wales", country: "Australia", postalCode: "2000", lat: -33.8688, lon: 151.2093 },
  { city: "Toronto", state: "Ontario", country: "Canada", postalCode: "M5H", lat: 43.6532, lon: -79.3832 },
];
const AGENTS = [
  {
    raw: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36",
    os: "Mac OS X",
    browser: "CHROME",
  },
  {
    raw: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    os: "Windows 10",
    browser: "FIREFOX",
  },
  { raw: "okta-sdk-java/8.2.1 java/17.0.9 Linux/5.15.0", os: "Linux", browser: "UNKNOWN" },
  {
    raw: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    os: "iOS",
    browser: "MOBILE_SAFARI",
  },
];

/** The lifecycle event types offboard acts on, weighted towards deactivate as in real orgs. */
export const LIFECYCLE_TYPES = [
  "user.lifecycle.deactivate",
  "user.lifecycle.deactivate",
  "user.lifecycle.suspend",
  "user.lifecycle.unsuspend",
  "user.lifecycle.reactivate",
  "user.lifecycle.delete.initiated",
] as const;
const LIFECYCLE_MESSAGES: Record<string, string> = {
  "user.lifecycle.deactivate": "Deactivate Okta user",
  "user.lifecycle.suspend": "Suspend Okta user",
  "user.lifecycle.unsuspend": "Unsuspend Okta user",
  "user.lifecycle.reactivate": "Reactivate Okta user",
  "user.lifecycle.delete.initiated": "Delete Okta user initiated",
};
/** The bulk of a real System Log stream: sign-ons, policy evaluations, SSO, MFA, token grants. */
const OTHER_TYPES = [
  { type: "user.session.start", message: "User login to Okta", legacy: "core.user_auth.login_success" },
  { type: "policy.evaluate_sign_on", message: "Evaluation of sign-on policy", legacy: null },
  { type: "user.authentication.sso", message: "User single sign on to app", legacy: "app.auth.sso" },
  {
    type: "user.authentication.auth_via_mfa",
    message: "Authentication of user via MFA",
    legacy: "core.user.factor.attempt_success",
  },
  { type: "app.oauth2.token.grant.access_token", message: "OAuth2 access token is granted", legacy: null },
  { type: "user.account.update_profile", message: "Update user profile for Okta", legacy: null },
  { type: "system.push.send_factor_verify_push", message: "Send push verify", legacy: null },
] as const;

export interface User {
  readonly id: string;
  readonly login: string;
  readonly name: string;
}

/** A pool of users: events pick subjects and actors from it, so several events share a user. */
export const users = (rng: Rng, n: number): ReadonlyArray<User> =>
  Array.from({ length: n }, (_, i) => {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    return {
      id: oktaId(rng, "00u"),
      login: `${first}.${last}.${i}@example.com`.toLowerCase(),
      name: `${first} ${last}`,
    };
  });

const hop = (rng: Rng, ip: string) => {
  const place = rng.pick(PLACES);
  return {
    ip,
    geographicalContext: {
      city: place.city,
      state: place.state,
      country: place.country,
      postalCode: place.postalCode,
      geolocation: { lat: place.lat, lon: place.lon },
    },
    version: "V4",
    source: null,
  };
};

const ip = (rng: Rng) => `${1 + rng.int(223)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;

export interface EnvelopeOptions {
  /** Force an event kind: a lifecycle type (routed) or another type (ignored). */
  readonly lifecycle: boolean;
  readonly subject: User;
  readonly actor: User;
  /** ms since the epoch for `published`. */
  readonly at: number;
  readonly org?: string;
}

/** One EventBridge envelope (as an object) around a realistic LogEvent. */
export const envelope = (rng: Rng, o: EnvelopeOptions) => {
  const place = rng.pick(PLACES);
  const agent = rng.pick(AGENTS);
  const clientIp = ip(rng);
  const published = new Date(o.at).toISOString();
  const other = rng.pick(OTHER_TYPES);
  const eventType = o.lifecycle ? rng.pick(LIFECYCLE_TYPES) : other.type;
  const requestId = chars(rng, HEX, 32);
  const failed = !o.lifecycle && rng.next() < 0.08;
  const org = o.org ?? "acme";
  const detail = {
    actor: {
      id: o.actor.id,
      type: "User",
      alternateId: o.actor.login,
      displayName: o.actor.name,
      detailEntry: null,
    },
    client: {
      userAgent: { rawUserAgent: agent.raw, os: agent.os, browser: agent.browser },
      zone: "null",
      device: agent.os === "iOS" ? "Mobile" : "Computer",
      id: null,
      ipAddress: clientIp,
      geographicalContext: {
        city: place.city,
        state: place.state,
        country: place.country,
        postalCode: place.postalCode,
        geolocation: { lat: place.lat, lon: place.lon },
      },
    },
    device: null,
    authenticationContext: {
      authenticationProvider: null,
      credentialProvider: null,
      credentialType: null,
      issuer: null,
      interface: null,
      authenticationStep: 0,
      rootSessionId: `idx${chars(rng, ALNUM, 22)}`,
      externalSessionId: `idx${chars(rng, ALNUM, 22)}`,
    },
    displayMessage: o.lifecycle ? LIFECYCLE_MESSAGES[eventType] : other.message,
    eventType,
    outcome: failed
      ? { result: "FAILURE", reason: "VERIFICATION_ERROR" }
      : { result: "SUCCESS", reason: o.lifecycle && rng.next() < 0.3 ? "Offboarded by HR workflow" : null },
    published,
    securityContext: {
      asNumber: 394089 + rng.int(1000),
      asOrg: rng.pick(["comcast", "google", "amazon", "verizon"]),
      isp: rng.pick(["comcast cable", "google llc", "amazon.com", "verizon business"]),
      domain: rng.pick(["comcast.net", "google.com", ".", null]),
      isProxy: false,
    },
    severity: "INFO",
    debugContext: {
      debugData: {
        requestId,
        dtHash: chars(rng, HEX, 64),
        requestUri: o.lifecycle
          ? `/api/v1/users/${o.subject.id}/lifecycle/${eventType.split(".")[2]}`
          : "/idp/idx/identify",
        url: o.lifecycle ? `/api/v1/users/${o.subject.id}/lifecycle?` : "/idp/idx/identify?",
        threatSuspected: "false",
        risk: `{level=${rng.pick(["LOW", "MEDIUM"])}, reasons=Anomalous Location}`,
        behaviors:
          "{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=POSITIVE, New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}",
      },
    },
    legacyEventType: o.lifecycle ? `core.user.config.user_${eventType.split(".")[2]}` : other.legacy,
    transaction: { type: o.lifecycle ? "JOB" : "WEB", id: chars(rng, ALNUM, 27), detail: {} },
    uuid: uuid(rng),
    version: "0",
    request: {
      ipChain: Array.from({ length: 1 + rng.int(3) }, (_, i) => hop(rng, i === 0 ? clientIp : ip(rng))),
    },
    target: o.lifecycle
      ? [
          {
            id: o.subject.id,
            type: "User",
            alternateId: o.subject.login,
            displayName: o.subject.name,
            detailEntry: null,
          },
        ]
      : [
          {
            id: oktaId(rng, "0oa"),
            type: "AppInstance",
            alternateId: "Okta Admin Console",
            displayName: "Okta Admin Console",
            detailEntry: null,
          },
          {
            id: oktaId(rng, "pfd"),
            type: "AuthenticatorEnrollment",
            alternateId: "unknown",
            displayName: "Okta Verify",
            detailEntry: null,
          },
        ],
  };
  return {
    version: "0",
    id: uuid(rng),
    "detail-type": "SystemLog",
    source: `aws.partner/okta.com/${org}/offboard`,
    account: "123456789012",
    time: published.replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: [],
    detail,
  };
};

export interface StreamOptions {
  readonly count: number;
  /** Share of lifecycle (routed) events, 0..1. */
  readonly lifecycleShare: number;
  readonly users?: number;
  readonly seed?: number;
}

/** `count` envelopes as JSON text, one at a time, in `published` order, over a pool of users. */
export function* envelopeLines(o: StreamOptions): Generator<string> {
  const rng = prng(o.seed ?? 42);
  const pool = users(rng, o.users ?? 5_000);
  const admins = pool.slice(0, 20);
  const start = Date.UTC(2026, 10, 1);
  for (let i = 0; i < o.count; i++) {
    const lifecycle = rng.next() < o.lifecycleShare;
    const subject = rng.pick(pool);
    const actor = lifecycle ? rng.pick(admins) : subject;
    yield JSON.stringify(envelope(rng, { lifecycle, subject, actor, at: start + i * 250 + rng.int(200) }));
  }
}

/** `count` envelopes as JSON text, in `published` order, over a pool of users. */
export const envelopeStream = (o: StreamOptions): Array<string> => [...envelopeLines(o)];

/** An SQS Lambda event around the given bodies, shaped like the records Lambda hands the worker. */
export const sqsEvent = (bodies: ReadonlyArray<string>) => ({
  Records: bodies.map((body, i) => ({
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    receiptHandle: `AQEB${"x".repeat(40)}${i}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1764000000000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1764000000001",
    },
    messageAttributes: {},
    md5OfBody: "0".repeat(32),
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:offboard-events",
    awsRegion: "us-east-1",
  })),
});
