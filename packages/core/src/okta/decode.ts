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

const decodeAt = (u: unknown, depth: number, out: Array<DecodeResult>): void => {
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
  if ("detail-type" in u || ("detail" in u && "source" in u)) {
    const source = typeof u.source === "string" ? u.source : undefined;
    if (source === undefined || !source.startsWith(OKTA_PARTNER_SOURCE_PREFIX)) {
      out.push(
        undecodable(
          "untrusted-source",
          `EventBridge source ${source === undefined ? "is missing" : JSON.stringify(source.slice(0, 200))}; ` +
            `only Okta partner sources (${OKTA_PARTNER_SOURCE_PREFIX}…) are trusted`,
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
    const oktaOrg = orgFromPartnerSource(source);
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
 * it never throws.
 */
export const decodeValue = (input: unknown): ReadonlyArray<DecodeResult> => {
  const out: Array<DecodeResult> = [];
  decodeAt(input, 0, out);
  return out;
};

/**
 * Decodes JSON text or a JSON Lines stream (each line on its own: a bad line is one `not-json`
 * result and the others still decode). Total: it never throws.
 */
export const decodeText = (input: string): ReadonlyArray<DecodeResult> => {
  const out: Array<DecodeResult> = [];
  if (input.trim().length === 0) {
    out.push(undecodable("not-json", "empty input"));
    return out;
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
