import { OKTA_DETAIL_TYPE, OKTA_PARTNER_SOURCE_PREFIX } from "../domain/catalogue.ts";
import { DecodeError } from "../errors.ts";
import { type LogEvent, readLogEvent, text } from "./log-event.ts";

/** The delivery shape an event arrived in. */
export type DeliveryShape = "eventbridge" | "event-hook" | "api-array" | "log-event";

/** Where an event came from, as far as its envelope says. */
export interface Provenance {
  readonly shape: DeliveryShape;
  /** The Okta org subdomain or host, when the envelope names it. */
  readonly oktaOrg?: string;
  /** EventBridge `source` or Event Hook `source`. */
  readonly source?: string;
  /** EventBridge event `id` or Event Hook delivery `eventId` (per delivery, not per event). */
  readonly deliveryId?: string;
}

/** A LogEvent found in a delivery, with where it came from. */
export interface Decoded {
  readonly _tag: "Decoded";
  readonly event: LogEvent;
  readonly provenance: Provenance;
}

/** A part of a delivery that is not an Okta LogEvent, with the error saying why. */
export interface Undecodable {
  readonly _tag: "Undecodable";
  readonly error: DecodeError;
}

/** What decoding found for each part of a delivery: a LogEvent or the reason it is not one. */
export type DecodeResult = Decoded | Undecodable;

/** The EventBridge `source` offboard's System Log poller puts on the events it enqueues. */
export const OFFBOARD_POLLER_SOURCE = "offboard.poller";
/** The EventBridge `source` offboard's Event Hook receiver puts on the events it enqueues. */
export const OFFBOARD_EVENT_HOOK_SOURCE = "offboard.event-hook";
/** offboard's own sources: envelopes it enqueues itself, trusted like Okta's partner source. */
export const OFFBOARD_SOURCES: ReadonlyArray<string> = [OFFBOARD_POLLER_SOURCE, OFFBOARD_EVENT_HOOK_SOURCE];

/**
 * Which delivery shapes are trusted.
 * - `any` (the CLI, files, tests): every shape; an EventBridge envelope must still come from an Okta
 *   partner source or one of offboard's own sources.
 * - `queue` (the queue worker): only EventBridge envelopes whose `source` starts with
 *   `partnerSourcePrefix` (an Okta partner source, such as `aws.partner/okta.com/acme`) or is one of
 *   offboard's own sources. Anything else on the queue was sent by someone else: `untrusted-shape`.
 */
export type Trust = { readonly mode: "any" } | { readonly mode: "queue"; readonly partnerSourcePrefix: string };

export const TRUST_ANY: Trust = { mode: "any" };

/** The queue worker's trust: Okta's partner sources (optionally one org's) and offboard's own sources. */
export const queueTrust = (partnerSourcePrefix: string = OKTA_PARTNER_SOURCE_PREFIX): Trust => ({
  mode: "queue",
  partnerSourcePrefix,
});

const trustedSource = (source: string, trust: Trust): boolean =>
  OFFBOARD_SOURCES.includes(source) ||
  (trust.mode === "queue"
    ? source.startsWith(trust.partnerSourcePrefix) && source.startsWith(OKTA_PARTNER_SOURCE_PREFIX)
    : source.startsWith(OKTA_PARTNER_SOURCE_PREFIX));

const MAX_DEPTH = 4;

type Json = Record<string, unknown>;
const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u);

const undecodable = (code: DecodeError["code"], message: string): Undecodable => ({
  _tag: "Undecodable",
  error: new DecodeError({ code, message }),
});

/** `aws.partner/okta.com/<org>/<source>` → `<org>`. */
const orgFromPartnerSource = (source: string): string | undefined => {
  const rest = source.slice(OKTA_PARTNER_SOURCE_PREFIX.length);
  const org = rest.split("/")[0];
  return org !== undefined && org.length > 0 ? org : undefined;
};

/** `https://acme.okta.com/api/v1/eventHooks/who8…` → `acme.okta.com`. */
const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
};

const logEvent = (raw: Json, provenance: Provenance): DecodeResult => {
  const event = readLogEvent(raw);
  if (event === undefined) {
    const why = raw.eventType === undefined ? "has no eventType" : "has an empty or non-string eventType";
    return undecodable("invalid-event", `Okta LogEvent ${why}`);
  }
  return { _tag: "Decoded", event, provenance };
};

const describe = (u: unknown): string => {
  if (u === null) return "null";
  if (Array.isArray(u)) return "an array";
  if (isRecord(u)) {
    const keys = Object.keys(u).slice(0, 6);
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.join(", ")}`;
  }
  return `a ${typeof u}`;
};

const isEnvelope = (u: unknown): boolean => isRecord(u) && ("detail-type" in u || ("detail" in u && "source" in u));

const decodeAt = (u: unknown, depth: number, out: Array<DecodeResult>, trust: Trust = TRUST_ANY): void => {
  if (depth > MAX_DEPTH) {
    out.push(undecodable("not-okta", `input nests deliveries more than ${MAX_DEPTH} levels deep`));
    return;
  }
  // System Log API page: a JSON array of LogEvents (possibly []).
  if (Array.isArray(u)) {
    for (const item of u) {
      if (isRecord(item) && !("detail-type" in item) && !("data" in item) && !("Records" in item)) {
        out.push(logEvent(item, { shape: "api-array" }));
      } else {
        decodeAt(item, depth + 1, out);
      }
    }
    return;
  }
  if (!isRecord(u)) {
    out.push(undecodable("not-okta", `expected an Okta delivery (object or array) but got ${describe(u)}`));
    return;
  }

  // EventBridge envelope from Okta Log Streaming.
  if (isEnvelope(u)) {
    const source = typeof u.source === "string" ? u.source : undefined;
    if (source === undefined || !trustedSource(source, trust)) {
      const okta = trust.mode === "queue" ? trust.partnerSourcePrefix : OKTA_PARTNER_SOURCE_PREFIX;
      out.push(
        undecodable(
          "untrusted-source",
          `EventBridge source ${source === undefined ? "is missing" : JSON.stringify(source.slice(0, 200))}; ` +
            `only Okta partner sources (${okta}…) and offboard's own (${OFFBOARD_SOURCES.join(", ")}) are trusted`,
        ),
      );
      return;
    }
    const detailType = u["detail-type"];
    if (detailType !== OKTA_DETAIL_TYPE) {
      out.push(
        undecodable(
          "not-okta",
          `EventBridge detail-type ${JSON.stringify(detailType)} is not ${JSON.stringify(OKTA_DETAIL_TYPE)}`,
        ),
      );
      return;
    }
    if (!isRecord(u.detail)) {
      out.push(undecodable("invalid-event", `EventBridge detail is ${describe(u.detail)}, not a LogEvent`));
      return;
    }
    const oktaOrg = source.startsWith(OKTA_PARTNER_SOURCE_PREFIX) ? orgFromPartnerSource(source) : undefined;
    const deliveryId = text(u.id);
    out.push(
      logEvent(u.detail, {
        shape: "eventbridge",
        source,
        ...(oktaOrg !== undefined && { oktaOrg }),
        ...(deliveryId !== undefined && { deliveryId }),
      }),
    );
    return;
  }

  // Okta Event Hook POST body: { eventType: "com.okta.event_hook", data: { events: [...] } }.
  const data = u.data;
  if (isRecord(data) && "events" in data) {
    if (!Array.isArray(data.events)) {
      out.push(undecodable("not-okta", `Event Hook data.events is ${describe(data.events)}, not an array`));
      return;
    }
    const source = text(u.source);
    const oktaOrg = source !== undefined ? hostOf(source) : undefined;
    const deliveryId = text(u.eventId);
    const provenance: Provenance = {
      shape: "event-hook",
      ...(source !== undefined && { source }),
      ...(oktaOrg !== undefined && { oktaOrg }),
      ...(deliveryId !== undefined && { deliveryId }),
    };
    for (const ev of data.events) {
      if (isRecord(ev)) out.push(logEvent(ev, provenance));
      else out.push(undecodable("not-okta", `Event Hook event is ${describe(ev)}, not a LogEvent`));
    }
    return;
  }

  // Wrappers third parties add: an SQS event, an SNS notification, an ALB/API Gateway request.
  if (Array.isArray(u.Records)) {
    for (const r of u.Records) {
      if (isRecord(r) && typeof r.body === "string") decodeTextAt(r.body, depth + 1, out);
      else if (isRecord(r) && isRecord(r.Sns) && typeof r.Sns.Message === "string")
        decodeTextAt(r.Sns.Message, depth + 1, out);
      else out.push(undecodable("not-okta", `SQS record is ${describe(r)} without a string body`));
    }
    return;
  }
  if (u.Type === "Notification" && typeof u.Message === "string") {
    decodeTextAt(u.Message, depth + 1, out);
    return;
  }
  if (typeof u.body === "string" && u.eventType === undefined) {
    decodeTextAt(u.body, depth + 1, out);
    return;
  }

  // A bare LogEvent.
  if ("eventType" in u) {
    out.push(logEvent(u, { shape: "log-event" }));
    return;
  }
  out.push(
    undecodable(
      "not-okta",
      `not an Okta delivery: expected an EventBridge envelope, an Event Hook payload, a System Log array or a LogEvent, got ${describe(u)}`,
    ),
  );
};

const decodeTextAt = (input: string, depth: number, out: Array<DecodeResult>): void => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch (e) {
    // Not one JSON document: JSON Lines when at least one line parses on its own.
    const lines = input.split(/\r?\n/).filter((l) => l.trim().length > 0);
    if (lines.length > 1) {
      const perLine: Array<DecodeResult> = [];
      for (const line of lines) decodeLine(line, depth, perLine);
      const allBad = perLine.every((r) => r._tag === "Undecodable" && r.error.code === "not-json");
      if (!allBad) {
        out.push(...perLine);
        return;
      }
    }
    out.push(undecodable("not-json", `not JSON: ${(e as Error).message}`));
    return;
  }
  decodeAt(parsed, depth, out);
};

const decodeLine = (line: string, depth: number, out: Array<DecodeResult>): void => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    const preview = line.length > 80 ? `${line.slice(0, 80)}…` : line;
    out.push(undecodable("not-json", `line is not JSON (${(e as Error).message}): ${preview}`));
    return;
  }
  decodeAt(parsed, depth, out);
};

/**
 * Decodes any Okta delivery shape, already parsed, into LogEvents: an EventBridge envelope, an Event
 * Hook payload, a System Log API array, a bare LogEvent, or those inside an SQS event, an SNS
 * notification or an HTTP request `body`. One result per LogEvent (or per undecodable part). Total:
 * it never throws. With `queueTrust(…)`, only EventBridge envelopes from trusted sources decode.
 */
export const decodeValue = (input: unknown, trust: Trust = TRUST_ANY): ReadonlyArray<DecodeResult> => {
  const out: Array<DecodeResult> = [];
  if (trust.mode === "queue") {
    if (isEnvelope(input)) decodeAt(input, 0, out, trust);
    else out.push(untrustedShape(input));
    return out;
  }
  decodeAt(input, 0, out);
  return out;
};

const untrustedShape = (input: unknown): Undecodable =>
  undecodable(
    "untrusted-shape",
    `the queue accepts EventBridge envelopes only (from Okta's partner source or offboard's own ${OFFBOARD_SOURCES.join(", ")}), got ${describe(input)}`,
  );

/**
 * Decodes JSON text or a JSON Lines stream (each line on its own: a bad line is one `not-json`
 * result and the others still decode). Total: it never throws.
 */
export const decodeText = (input: string, trust: Trust = TRUST_ANY): ReadonlyArray<DecodeResult> => {
  const out: Array<DecodeResult> = [];
  if (input.trim().length === 0) {
    out.push(undecodable("not-json", "empty input"));
    return out;
  }
  if (trust.mode === "queue") {
    // One JSON document, an envelope: EventBridge never sends JSON Lines or wrappers to the queue.
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (e) {
      out.push(undecodable("not-json", `not JSON: ${(e as Error).message}`));
      return out;
    }
    return decodeValue(parsed, trust);
  }
  decodeTextAt(input, 0, out);
  return out;
};

/** Decodes a JSON Lines stream strictly line by line: one or more results per non-blank line. */
export const decodeJsonLines = (input: string): ReadonlyArray<DecodeResult> => {
  const out: Array<DecodeResult> = [];
  for (const line of input.split(/\r?\n/)) {
    if (line.trim().length > 0) decodeLine(line, 0, out);
  }
  return out;
};
