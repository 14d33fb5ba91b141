/**
 * Redirects only within the origin a client was configured with. A vendor API answering 307/308 to
 * another host would otherwise receive the request again: its credentials and its body (an offboarded
 * person's name, login and the admin's reason). A same-origin redirect (a trailing-slash fix, a moved
 * path) is followed; any other is refused with an error naming both origins.
 */

/** The error of a refused redirect. `permanent`: configuration to fix, not a blip to retry. */
export class CrossOriginRedirectError extends Error {
  override readonly name = "CrossOriginRedirectError";
  constructor(
    readonly from: string,
    readonly to: string,
    readonly status: number,
  ) {
    super(
      `refused a redirect (HTTP ${status}) from ${from} to another origin, ${to}: only same-origin redirects are followed`,
    );
  }
}

/** The origin of `location` resolved against `base`, or the text "an invalid URL". */
const originOf = (location: string, base: string): string => {
  try {
    return new URL(location, base).origin;
  } catch {
    return "an invalid URL";
  }
};

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 5;

/**
 * `fetch` that follows redirects only within the origin of the URL it was called with (at most
 * `MAX_REDIRECTS`), and rejects with `CrossOriginRedirectError` on any other. 303 (and 301/302 after a
 * POST, as browsers do) continue as GET without a body; 307/308 repeat the method and body.
 */
export const sameOriginFetch =
  (doFetch: typeof fetch = fetch): typeof fetch =>
  async (input, init) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    const origin = url.origin;
    let request: RequestInit = { ...init, redirect: "manual" };
    for (let hop = 0; ; hop++) {
      const res = await doFetch(url, request);
      if (!REDIRECT_STATUSES.has(res.status)) return res;
      const location = res.headers.get("location");
      if (location === null) return res;
      const target = originOf(location, url.href);
      if (target !== origin) {
        await res.body?.cancel();
        throw new CrossOriginRedirectError(origin, target, res.status);
      }
      if (hop + 1 >= MAX_REDIRECTS) {
        await res.body?.cancel();
        throw new Error(`more than ${MAX_REDIRECTS} redirects from ${origin}`);
      }
      await res.body?.cancel();
      const method = (request.method ?? "GET").toUpperCase();
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        const { body: _body, ...rest } = request;
        request = { ...rest, method: "GET" };
      }
      url = new URL(location, url.href);
    }
  };

/**
 * For axios-based clients (jira.js): an axios `beforeRedirect` hook that refuses a redirect leaving
 * `origin`. axios follows redirects through follow-redirects, which calls this before each hop.
 */
export const refuseCrossOriginRedirect =
  (origin: string) =>
  (
    options: { protocol?: string; hostname?: string; host?: string; port?: string | number },
    response: { statusCode?: number },
  ) => {
    const protocol = options.protocol ?? "";
    const host = options.hostname ?? options.host ?? "";
    const defaultPort = protocol === "https:" ? "443" : protocol === "http:" ? "80" : "";
    const port = options.port === undefined || String(options.port) === defaultPort ? "" : `:${options.port}`;
    const target = `${protocol}//${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}${port}`;
    if (target !== origin) throw new CrossOriginRedirectError(origin, target, response.statusCode ?? 0);
  };
