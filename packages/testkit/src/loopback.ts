import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";

/** One request a loopback server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as JSON, or as a form when url-encoded; undefined otherwise. */
  readonly json: unknown;
}

/** What a route handler returns. */
export interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects are sent as JSON. */
  readonly body?: unknown;
  /** Wait this long before answering (to exercise client timeouts). */
  readonly delayMs?: number;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: Array<RecordedRequest>;
  /** Replaces the handler (for scripting failures mid-test). */
  handle: (h: Handler) => void;
  readonly close: () => Promise<void>;
}

const parseBody = (headers: IncomingHttpHeaders, body: string): unknown => {
  const type = headers["content-type"] ?? "";
  if (body.length === 0) return undefined;
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(body));
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * Starts an HTTP server on 127.0.0.1 that records every request and answers with the handler's reply.
 * Use it to speak a vendor's documented API (Slack, Jira, BambooHR, Okta) in tests.
 */
export const startLoopback = async (handler: Handler): Promise<Loopback> => {
  let current = handler;
  const requests: Array<RecordedRequest> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = req.url ?? "/";
      const parsed = new URL(url, "http://127.0.0.1");
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        url,
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body,
        json: parseBody(req.headers, body),
      };
      requests.push(recorded);
      try {
        const reply = await current(recorded);
        if (reply.delayMs !== undefined) await new Promise((r) => setTimeout(r, reply.delayMs));
        const isText = typeof reply.body === "string" || reply.body === undefined;
        res.writeHead(reply.status ?? 200, {
          ...(isText ? {} : { "content-type": "application/json" }),
          ...reply.headers,
        });
        res.end(isText ? ((reply.body as string | undefined) ?? "") : JSON.stringify(reply.body));
      } catch (e) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`loopback handler threw: ${(e as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
