/**
 * A normalised Okta System Log `LogEvent`: only the fields offboard reads, each already cleaned.
 *
 * Okta's wire format is lenient in practice (../shared/fixtures/okta/SCHEMA-NOTES.md): every field but
 * `eventType` may be absent, `null`, `{}` or the string `"null"`, and all four mean "no value" here.
 */
export interface OktaEntity {
  readonly id?: string;
  readonly type?: string;
  /** Okta's `alternateId`: the login (usually an email) for users. */
  readonly alternateId?: string;
  readonly displayName?: string;
}

/** An Okta System Log LogEvent, read leniently: every field but `eventType` may be missing. */
export interface LogEvent {
  readonly eventType: string;
  readonly uuid?: string;
  /** ISO-8601 as Okta sent it (kept even when the date is impossible, such as 2017-09-31). */
  readonly published?: string;
  readonly version?: string;
  readonly severity?: string;
  readonly displayMessage?: string;
  readonly legacyEventType?: string;
  readonly actor?: OktaEntity;
  readonly targets: ReadonlyArray<OktaEntity>;
  readonly outcome?: { readonly result?: string; readonly reason?: string };
  readonly client?: {
    readonly ipAddress?: string;
    readonly userAgent?: string;
    readonly city?: string;
    readonly state?: string;
    readonly country?: string;
    readonly zone?: string;
  };
  readonly transaction?: { readonly id?: string; readonly type?: string };
  /** Hops of `request.ipChain` or (Event Hook deliveries) `client.ipChain`. */
  readonly ipChain: ReadonlyArray<string>;
}

type Json = Record<string, unknown>;

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u);

/** A string field: absent, null, empty, whitespace-only and "null" are all "no value". Numbers become strings. */
export const text = (u: unknown): string | undefined => {
  if (typeof u === "string") {
    if (u.length === 0 || u === "null") return undefined;
    return u.trim().length === 0 ? undefined : u;
  }
  if (typeof u === "number" && Number.isFinite(u)) return String(u);
  return undefined;
};

const record = (u: unknown): Json | undefined => (isRecord(u) ? u : undefined);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// The readers below fill plain objects field by field rather than spreading `...(x !== undefined && { x })`:
// same keys in the same order, and decideBody 1.76x -> 1.20x the cost of JSON.parse (docs/performance.md).
const entity = (u: unknown): OktaEntity | undefined => {
  if (!isRecord(u)) return undefined;
  const id = text(u.id);
  const type = text(u.type);
  const alternateId = text(u.alternateId);
  const displayName = text(u.displayName);
  if (id === undefined && type === undefined && alternateId === undefined && displayName === undefined)
    return undefined;
  const e: Mutable<OktaEntity> = {};
  if (id !== undefined) e.id = id;
  if (type !== undefined) e.type = type;
  if (alternateId !== undefined) e.alternateId = alternateId;
  if (displayName !== undefined) e.displayName = displayName;
  return e;
};

const ipChain = (u: unknown): Array<string> => {
  if (!Array.isArray(u)) return [];
  const out: Array<string> = [];
  for (const hop of u) {
    const ip = isRecord(hop) ? text(hop.ip) : undefined;
    if (ip !== undefined) out.push(ip);
  }
  return out;
};

/**
 * Reads a LogEvent out of a parsed JSON object. Returns undefined when there is no usable `eventType`
 * (the one field offboard is strict about); everything else degrades to "no value".
 */
export const readLogEvent = (raw: Json): LogEvent | undefined => {
  const eventType = text(raw.eventType);
  if (eventType === undefined) return undefined;

  const targets: Array<OktaEntity> = [];
  if (Array.isArray(raw.target)) {
    for (const t of raw.target) {
      const e = entity(t);
      if (e !== undefined) targets.push(e);
    }
  }

  const outcomeRaw = record(raw.outcome);
  const result = outcomeRaw && text(outcomeRaw.result);
  const reason = outcomeRaw && text(outcomeRaw.reason);

  const clientRaw = record(raw.client);
  let client: LogEvent["client"];
  if (clientRaw !== undefined) {
    const geo = record(clientRaw.geographicalContext);
    const ua = record(clientRaw.userAgent);
    const c: Mutable<NonNullable<LogEvent["client"]>> = {};
    const ipAddress = text(clientRaw.ipAddress);
    const userAgent = ua && text(ua.rawUserAgent);
    const city = geo && text(geo.city);
    const state = geo && text(geo.state);
    const country = geo && text(geo.country);
    const zone = text(clientRaw.zone);
    if (ipAddress !== undefined) c.ipAddress = ipAddress;
    if (userAgent !== undefined) c.userAgent = userAgent;
    if (city !== undefined) c.city = city;
    if (state !== undefined) c.state = state;
    if (country !== undefined) c.country = country;
    if (zone !== undefined) c.zone = zone;
    if (
      ipAddress !== undefined ||
      userAgent !== undefined ||
      city !== undefined ||
      state !== undefined ||
      country !== undefined ||
      zone !== undefined
    )
      client = c;
  }

  const txRaw = record(raw.transaction);
  const txId = txRaw && text(txRaw.id);
  const txType = txRaw && text(txRaw.type);

  const requestRaw = record(raw.request);
  const chain = ipChain(requestRaw?.ipChain);
  const hops = chain.length > 0 ? chain : ipChain(clientRaw?.ipChain);

  const uuid = text(raw.uuid);
  const published = text(raw.published);
  const version = text(raw.version);
  const severity = text(raw.severity);
  const displayMessage = text(raw.displayMessage);
  const legacyEventType = text(raw.legacyEventType);
  const actor = entity(raw.actor);

  // Filled in the same key order as before (eventType first, ipChain last) so JSON output is unchanged;
  // the cast covers the two required arrays until they are set below.
  const out = { eventType } as Mutable<LogEvent>;
  if (uuid !== undefined) out.uuid = uuid;
  if (published !== undefined) out.published = published;
  if (version !== undefined) out.version = version;
  if (severity !== undefined) out.severity = severity;
  if (displayMessage !== undefined) out.displayMessage = displayMessage;
  if (legacyEventType !== undefined) out.legacyEventType = legacyEventType;
  if (actor !== undefined) out.actor = actor;
  out.targets = targets;
  if (result !== undefined || reason !== undefined) {
    const outcome: { result?: string; reason?: string } = {};
    if (result !== undefined) outcome.result = result;
    if (reason !== undefined) outcome.reason = reason;
    out.outcome = outcome;
  }
  if (client !== undefined) out.client = client;
  if (txId !== undefined || txType !== undefined) {
    const transaction: { id?: string; type?: string } = {};
    if (txId !== undefined) transaction.id = txId;
    if (txType !== undefined) transaction.type = txType;
    out.transaction = transaction;
  }
  out.ipChain = hops;
  return out;
};
