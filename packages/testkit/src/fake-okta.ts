/**
 * A loopback Okta org that speaks the Log Streams API (`/api/v1/logStreams`) with Okta's documented
 * request/response and error shapes, keeping streams in memory. Used to test the custom resource over
 * real HTTP.
 *
 * Modelled behaviour: `filter` accepts only `type eq "..."` / `status eq "..."`; cursor pagination
 * through `Link: <...>; rel="next"`; names are unique; at most two streams per org; settings are write-once
 * (a PUT must repeat them unchanged); a stream must be INACTIVE before DELETE (the order Okta's own
 * Terraform provider uses); `SSWS <token>` auth (401 E0000011 otherwise); injectable 429s carrying
 * `x-rate-limit-reset` and `Date`, and an injectable 403.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeStream {
  id: string;
  name: string;
  type: string;
  status: "ACTIVE" | "INACTIVE";
  settings: { accountId: string; region: string; eventSourceName: string };
  created: string;
  lastUpdated: string;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface FakeOkta {
  readonly url: string;
  readonly token: string;
  readonly streams: Map<string, FakeStream>;
  readonly calls: Array<RecordedCall>;
  /** Status a newly created stream gets (Okta's default is ACTIVE). */
  createdStatus: "ACTIVE" | "INACTIVE";
  /** Page size the server uses when the client's `limit` is larger (to exercise pagination). */
  pageSize: number;
  /** The next `n` requests get 429, with the rate limit resetting `resetInSeconds` after the server's Date. */
  rateLimitNext: (n: number, resetInSeconds: number) => void;
  /** Every request gets 403 E0000006. */
  forbidAll: () => void;
  /** Add a stream directly, as if created in the Admin Console or by Terraform. */
  seed: (s: Partial<FakeStream> & Pick<FakeStream, "name">) => FakeStream;
  readonly close: () => Promise<void>;
}

const oktaError = (code: string, summary: string, causes: ReadonlyArray<string> = []) => ({
  errorCode: code,
  errorSummary: summary,
  errorLink: code,
  errorId: `oae${Math.random().toString(36).slice(2, 12)}`,
  errorCauses: causes.map((errorSummary) => ({ errorSummary })),
});

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Array<Buffer> = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text.length === 0 ? undefined : JSON.parse(text);
};

let idCounter = 0;
const newId = () => `0oa${(++idCounter).toString().padStart(4, "0")}LogStrm${Math.random().toString(36).slice(2, 8)}`;

export const startFakeOkta = async (token = "00fake-okta-api-token-value"): Promise<FakeOkta> => {
  const streams = new Map<string, FakeStream>();
  const calls: Array<RecordedCall> = [];
  let pendingRateLimits: Array<number> = [];
  let forbidden = false;

  const view = (s: FakeStream, base: string) => ({
    ...s,
    _links: {
      self: { href: `${base}/api/v1/logStreams/${s.id}`, method: "GET" },
      ...(s.status === "ACTIVE"
        ? { deactivate: { href: `${base}/api/v1/logStreams/${s.id}/lifecycle/deactivate`, method: "POST" } }
        : { activate: { href: `${base}/api/v1/logStreams/${s.id}/lifecycle/activate`, method: "POST" } }),
    },
  });

  const fake: FakeOkta = {
    url: "",
    token,
    streams,
    calls,
    createdStatus: "ACTIVE",
    pageSize: 20,
    rateLimitNext: (n, resetInSeconds) => {
      pendingRateLimits = Array.from({ length: n }, () => resetInSeconds);
    },
    forbidAll: () => {
      forbidden = true;
    },
    seed: (s) => {
      const now = new Date().toISOString();
      const stream: FakeStream = {
        id: s.id ?? newId(),
        type: s.type ?? "aws_eventbridge",
        status: s.status ?? "ACTIVE",
        settings: s.settings ?? { accountId: "123456789012", region: "us-east-1", eventSourceName: "seeded" },
        created: now,
        lastUpdated: now,
        name: s.name,
      };
      streams.set(stream.id, stream);
      return stream;
    },
    close: async () => {},
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const base = fake.url;
    const url = new URL(req.url ?? "/", base);
    const body = await readBody(req);
    const method = req.method ?? "GET";
    calls.push({ method, path: url.pathname, query: url.searchParams, body });
    // A fixed server clock, one hour behind the test machine's, so only the Date header can be trusted.
    const serverNow = Math.floor(Date.now() / 1000) - 3600;
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "Content-Type": "application/json",
        Date: new Date(serverNow * 1000).toUTCString(),
        "x-rate-limit-limit": "100",
        "x-rate-limit-remaining": "99",
        "x-rate-limit-reset": String(serverNow + 60),
        ...headers,
      });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };

    if (req.headers.authorization !== `SSWS ${token}`) {
      return send(401, oktaError("E0000011", "Invalid token provided"));
    }
    const limited = pendingRateLimits.shift();
    if (limited !== undefined) {
      return send(429, oktaError("E0000047", "API call exceeded rate limit due to too many requests."), {
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": String(serverNow + limited),
      });
    }
    if (forbidden)
      return send(403, oktaError("E0000006", "You do not have permission to perform the requested action"));

    const parts = url.pathname.split("/").filter(Boolean); // api v1 logStreams [id] [lifecycle] [op]
    if (parts[0] !== "api" || parts[1] !== "v1" || parts[2] !== "logStreams") {
      return send(404, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
    }
    const id = parts[3];
    const notFound = () => send(404, oktaError("E0000007", `Not found: Resource not found: ${id} (LogStream)`));

    if (id === undefined && method === "GET") {
      const filter = url.searchParams.get("filter");
      let items = [...streams.values()];
      if (filter !== null) {
        const m = /^(type|status) eq "([^"]*)"$/.exec(filter);
        if (m === null) return send(400, oktaError("E0000031", "Invalid search criteria."));
        items = items.filter((s) => (m[1] === "type" ? s.type === m[2] : s.status === m[2]));
      }
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 20), fake.pageSize);
      const after = Number(url.searchParams.get("after") ?? 0);
      const page = items.slice(after, after + limit);
      const headers: Record<string, string> = {};
      if (after + limit < items.length) {
        const next = new URL(url);
        next.searchParams.set("after", String(after + limit));
        headers.Link = `<${base}${url.pathname}${url.search}>; rel="self", <${next.toString()}>; rel="next"`;
      }
      return send(
        200,
        page.map((s) => view(s, base)),
        headers,
      );
    }
    if (id === undefined && method === "POST") {
      const b = (body ?? {}) as Partial<FakeStream>;
      const st = b.settings;
      if (
        b.type !== "aws_eventbridge" ||
        typeof b.name !== "string" ||
        !st?.accountId ||
        !st.region ||
        !st.eventSourceName
      ) {
        return send(400, oktaError("E0000001", "Api validation failed: logStream", ["settings: required"]));
      }
      if ([...streams.values()].some((s) => s.name === b.name)) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: name", ["name: A log stream with this name already exists."]),
        );
      }
      if (streams.size >= 2) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: logStream", ["Maximum number of log streams reached."]),
        );
      }
      const created = fake.seed({ name: b.name, settings: { ...st }, status: fake.createdStatus });
      return send(200, view(created, base));
    }
    const stream = id === undefined ? undefined : streams.get(id);
    if (stream === undefined) return notFound();
    if (parts[4] === "lifecycle" && method === "POST") {
      stream.status = parts[5] === "activate" ? "ACTIVE" : "INACTIVE";
      stream.lastUpdated = new Date().toISOString();
      return send(200, view(stream, base));
    }
    if (parts.length === 4 && method === "GET") return send(200, view(stream, base));
    if (parts.length === 4 && method === "PUT") {
      const b = (body ?? {}) as Partial<FakeStream>;
      if (JSON.stringify(b.settings) !== JSON.stringify(stream.settings)) {
        return send(
          400,
          oktaError("E0000001", "Api validation failed: settings", ["settings: This property is write-once."]),
        );
      }
      stream.name = String(b.name);
      stream.lastUpdated = new Date().toISOString();
      return send(200, view(stream, base));
    }
    if (parts.length === 4 && method === "DELETE") {
      if (stream.status === "ACTIVE") {
        return send(400, oktaError("E0000001", "Api validation failed: status", ["Deactivate the log stream first."]));
      }
      streams.delete(stream.id);
      return send(204);
    }
    return send(405, oktaError("E0000022", "The endpoint does not support the provided HTTP method"));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify(oktaError("E0000009", `Internal Server Error: ${String(e)}`)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  });
};
