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

const entity = (u: unknown): OktaEntity | undefined => {
  if (!isRecord(u)) return undefined;
  const id = text(u.id);
  const type = text(u.type);
  const alternateId = text(u.alternateId);
  const displayName = text(u.displayName);
  if (id === undefined && type === undefined && alternateId === undefined && displayName === undefined)
    return undefined;
  return {
    ...(id !== undefined && { id }),
    ...(type !== undefined && { type }),
    ...(alternateId !== undefined && { alternateId }),
    ...(displayName !== undefined && { displayName }),
  };
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
    const fields = {
      ipAddress: text(clientRaw.ipAddress),
      userAgent: ua && text(ua.rawUserAgent),
      city: geo && text(geo.city),
      state: geo && text(geo.state),
      country: geo && text(geo.country),
      zone: text(clientRaw.zone),
    };
    const present = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (present.length > 0) client = Object.fromEntries(present) as LogEvent["client"];
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

  return {
    eventType,
    ...(uuid !== undefined && { uuid }),
    ...(published !== undefined && { published }),
    ...(version !== undefined && { version }),
    ...(severity !== undefined && { severity }),
    ...(displayMessage !== undefined && { displayMessage }),
    ...(legacyEventType !== undefined && { legacyEventType }),
    ...(actor !== undefined && { actor }),
    targets,
    ...((result !== undefined || reason !== undefined) && {
      outcome: { ...(result !== undefined && { result }), ...(reason !== undefined && { reason }) },
    }),
    ...(client !== undefined && { client }),
    ...((txId !== undefined || txType !== undefined) && {
      transaction: { ...(txId !== undefined && { id: txId }), ...(txType !== undefined && { type: txType }) },
    }),
    ipChain: hops,
  };
};
