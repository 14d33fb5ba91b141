/**
 * What went wrong underneath a vendor client's "fetch failed" / "request failed": the network or TLS
 * error in the error's `cause` chain (fetch wraps it in `cause`, @slack/web-api in `original`, undici's
 * happy-eyeballs in an AggregateError's `errors`), in words, with its code and address. Shared by the
 * Slack, Jira and BambooHR clients so that every vendor failure names its cause the same way.
 */

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly original?: unknown;
  readonly errors?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
}

const WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "DNS lookup failed, temporarily",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the other side",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNABORTED: "connection aborted",
};

const isTls = (code: string) =>
  code.startsWith("ERR_TLS_") ||
  code.startsWith("ERR_SSL_") ||
  code.startsWith("CERT_") ||
  code.startsWith("UNABLE_TO_") ||
  code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
  code === "SELF_SIGNED_CERT_IN_CHAIN" ||
  code === "HOSTNAME_MISMATCH";

const isProxy = (code: string, message: string) => code.startsWith("ERR_PROXY") || /proxy/i.test(message);

/** The errors below `error`, nearest first: cause, original, an AggregateError's errors (depth-bounded). */
const chain = (error: unknown): ReadonlyArray<ErrorLike> => {
  const out: Array<ErrorLike> = [];
  const queue: Array<{ e: unknown; depth: number }> = [{ e: error, depth: 0 }];
  while (queue.length > 0 && out.length < 12) {
    const next = queue.shift();
    if (next === undefined || typeof next.e !== "object" || next.e === null || next.depth > 5) continue;
    const e = next.e as ErrorLike;
    out.push(e);
    for (const child of [e.cause, e.original, ...(Array.isArray(e.errors) ? e.errors : [])]) {
      if (child !== undefined) queue.push({ e: child, depth: next.depth + 1 });
    }
  }
  return out;
};

const where = (e: ErrorLike): string => {
  if (typeof e.hostname === "string") return ` ${e.hostname}`;
  if (typeof e.address === "string") return ` ${e.address}${typeof e.port === "number" ? `:${e.port}` : ""}`;
  return "";
};

/**
 * "connection refused (ECONNREFUSED 127.0.0.1:9)", "host name not found (DNS) (ENOTFOUND jira.example)",
 * "TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)", "proxy: …"; undefined when the chain
 * holds nothing more specific than the top message (then the caller's own message stands).
 */
export const describeNetworkCause = (error: unknown): string | undefined => {
  const errors = chain(error);
  for (const e of errors) {
    const code = typeof e.code === "string" ? e.code : "";
    const message = typeof e.message === "string" ? e.message : "";
    if (code !== "" && isProxy(code, message)) return `proxy: ${message || code} (${code})`;
    if (code !== "" && isTls(code)) return `TLS: ${message || "handshake failed"} (${code})`;
    const words = WORDS[code];
    if (words !== undefined) return `${words} (${code}${where(e)})`;
  }
  // Proxy failures from undici carry no code: "Proxy response (407) !== 200 when HTTP Tunneling".
  const proxy = errors.find((e) => typeof e.message === "string" && /proxy/i.test(e.message));
  if (proxy !== undefined) return `proxy: ${String(proxy.message)}`;
  // No code anywhere: the nearest underlying message that says more than "fetch failed" ("bad port").
  const said = errors
    .slice(1)
    .map((e) => (typeof e.message === "string" ? e.message.trim() : ""))
    .find((m) => m !== "" && m !== "fetch failed");
  return said;
};
