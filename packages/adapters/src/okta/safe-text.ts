/**
 * Bounding and redacting text that comes back from Okta before it reaches an error message, a log line
 * or the CloudFormation console. A response body may echo a request (and with it a credential), and
 * `errorSummary`/`errorCauses` have no documented length limit.
 */

/** Longest piece of Okta-provided text kept in one message. */
export const MAX_OKTA_TEXT = 200;
/** At most this many `errorCauses` are quoted. */
export const MAX_OKTA_CAUSES = 3;

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

const CREDENTIAL_PATTERNS: ReadonlyArray<RegExp> = [
  // Authorization schemes followed by their value.
  /(?<![A-Za-z])(SSWS|Bearer|Basic|DPoP)\s+[^\s"',;]+/gi,
  // key=value or "key": "value" for credential-like keys.
  /\b(token|api[_-]?key|apikey|secret|password|passwd|client[_-]?secret|client[_-]?assertion|assertion|access[_-]?token|refresh[_-]?token|authorization)\b(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
  // JWTs.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // Okta API tokens start with 00 and are 42 characters of base64url.
  /\b00[A-Za-z0-9_-]{38,}/g,
  // PEM blocks.
  /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g,
];

/** Replaces anything that looks like a credential (and each of the given known secrets) with `[redacted]`. */
export const redactCredentials = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  out = out.replace(CREDENTIAL_PATTERNS[0]!, "$1 [redacted]");
  out = out.replace(CREDENTIAL_PATTERNS[1]!, "$1$2[redacted]");
  for (const p of CREDENTIAL_PATTERNS.slice(2)) out = out.replace(p, "[redacted]");
  return out;
};

/** Okta-provided text made safe for a message: controls stripped, credentials redacted, length bounded. */
export const safeOktaText = (value: unknown, secrets: ReadonlyArray<string> = [], max = MAX_OKTA_TEXT): string => {
  const text = typeof value === "string" ? value : value === undefined ? "" : String(value);
  const clean = redactCredentials(text.replace(CONTROL, " "), secrets);
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max).join("")}…`;
};

interface OktaErrorBody {
  readonly errorCode?: unknown;
  readonly errorSummary?: unknown;
  readonly errorId?: unknown;
  readonly errorCauses?: unknown;
}

/**
 * "HTTP 400 E0000001: Api validation failed (cause; cause) [errorId oae…]" from Okta's error object,
 * bounded and redacted. The raw body is never quoted.
 */
export const describeOktaError = (status: number, json: unknown, secrets: ReadonlyArray<string> = []): string => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return `HTTP ${status}`;
  const body = json as OktaErrorBody;
  const causes = Array.isArray(body.errorCauses) ? body.errorCauses : [];
  const quoted = causes
    .slice(0, MAX_OKTA_CAUSES)
    .map((c) => (typeof c === "object" && c !== null ? (c as { errorSummary?: unknown }).errorSummary : undefined))
    .filter((s): s is string => typeof s === "string" && s.length > 0)
    .map((s) => safeOktaText(s, secrets));
  const more = causes.length > MAX_OKTA_CAUSES ? `; and ${causes.length - MAX_OKTA_CAUSES} more` : "";
  const code = typeof body.errorCode === "string" ? ` ${safeOktaText(body.errorCode, secrets, 20)}` : "";
  const summary = typeof body.errorSummary === "string" ? `: ${safeOktaText(body.errorSummary, secrets)}` : "";
  const detail = quoted.length > 0 ? ` (${quoted.join("; ")}${more})` : "";
  const id = typeof body.errorId === "string" ? ` [errorId ${safeOktaText(body.errorId, secrets, 40)}]` : "";
  return `HTTP ${status}${code}${summary}${detail}${id}`;
};

/** The `errorCode` of an Okta error body, when it is a short string. */
export const oktaErrorCode = (json: unknown): string | undefined => {
  if (typeof json !== "object" || json === null) return undefined;
  const code = (json as OktaErrorBody).errorCode;
  return typeof code === "string" && /^[A-Za-z0-9_]{1,20}$/.test(code) ? code : undefined;
};
