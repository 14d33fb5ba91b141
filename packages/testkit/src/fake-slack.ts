import { type Loopback, type RecordedRequest, type Reply, startLoopback } from "./loopback.ts";

/**
 * A Slack Web API on loopback with state, as much as offboard uses: chat.postMessage (with message
 * `metadata`, kept and returned), chat.update, conversations.history and conversations.replies
 * (`include_all_metadata`), and files.uploadV2's three steps (files.getUploadURLExternal, the upload
 * URL, files.completeUploadExternal). It can enforce Slack's "about one message per second per
 * channel" (429 with Retry-After), and be told to fail calls: cleanly (`clean`: nothing happened) or
 * after acting (`acted`: the message exists, but the answer is an error).
 */

export interface FakeSlackMessage {
  readonly ts: string;
  readonly channel: string;
  readonly threadTs?: string;
  text: string;
  blocks: string;
  readonly metadata?: { readonly event_type: string; readonly event_payload: Record<string, unknown> };
  /** chat.update calls on this message. */
  updates: number;
}

export interface FakeSlackFile {
  readonly id: string;
  readonly filename: string;
  readonly content: string;
  readonly channel?: string;
  readonly threadTs?: string;
}

/** What a failure plan decides for one call: answer normally, fail before acting, or act then fail. */
export type SlackFault = { readonly clean: Reply } | { readonly acted: Reply } | undefined;

export interface FakeSlackCall {
  readonly method: string;
  readonly req: RecordedRequest;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

export interface FakeSlackOptions {
  /** Enforce at most one chat.postMessage per `postIntervalMs` per channel, bursts of `postBurst` (default off). */
  readonly postIntervalMs?: number;
  readonly postBurst?: number;
  /** The bot token the fake accepts (Bearer); any when undefined. */
  readonly token?: string;
}

export interface FakeSlack {
  readonly server: Loopback;
  /** `${url}/api/`: SLACK_API_URL. */
  readonly apiUrl: string;
  readonly messages: Array<FakeSlackMessage>;
  readonly files: Array<FakeSlackFile>;
  /** Every write call (chat.postMessage, chat.update, files.*, uploads), answered or not. */
  readonly writes: Array<FakeSlackCall>;
  /** Calls answered 429 by the rate limit. */
  readonly rateLimited: Array<FakeSlackCall>;
  /** Faults injected, by kind. */
  readonly faults: { clean: number; acted: number };
  fail: (plan: (call: FakeSlackCall) => SlackFault) => void;
  readonly close: () => Promise<void>;
}

const WRITES = new Set([
  "chat.postMessage",
  "chat.update",
  "files.getUploadURLExternal",
  "files.completeUploadExternal",
  "upload",
]);

const field = (req: RecordedRequest, name: string): string | undefined => {
  const v = (req.json as Record<string, unknown> | undefined)?.[name];
  return typeof v === "string" ? v : v === undefined ? undefined : JSON.stringify(v);
};

const parseJson = (s: string | undefined): unknown => {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

/** The file's bytes from an upload: the one part of a multipart/form-data body, or the raw body. */
const fileContent = (req: RecordedRequest): string => {
  const boundary = /boundary=([^;]+)/.exec(String(req.headers["content-type"] ?? ""))?.[1];
  if (boundary === undefined) return req.body;
  const start = req.body.indexOf("\r\n\r\n");
  const end = req.body.lastIndexOf(`\r\n--${boundary}`);
  return start < 0 || end < start ? req.body : req.body.slice(start + 4, end);
};

export const startFakeSlack = async (options: FakeSlackOptions = {}): Promise<FakeSlack> => {
  let plan: (call: FakeSlackCall) => SlackFault = () => undefined;
  const messages: Array<FakeSlackMessage> = [];
  const files: Array<FakeSlackFile> = [];
  const writes: Array<FakeSlackCall> = [];
  const rateLimited: Array<FakeSlackCall> = [];
  const faults = { clean: 0, acted: 0 };
  const pendingUploads = new Map<string, { filename: string; content?: string }>();
  const bucket = new Map<string, number>(); // channel → theoretical arrival time (GCRA)
  let seq = 0;
  let url = "";
  const nextTs = () => {
    seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, "0")}`;
  };

  const answer = (method: string, req: RecordedRequest): Reply => {
    switch (method) {
      case "chat.postMessage": {
        const channel = field(req, "channel") ?? "";
        const threadTs = field(req, "thread_ts");
        const metadata = parseJson(field(req, "metadata")) as FakeSlackMessage["metadata"];
        const message: FakeSlackMessage = {
          ts: nextTs(),
          channel,
          ...(threadTs !== undefined && { threadTs }),
          text: field(req, "text") ?? "",
          blocks: field(req, "blocks") ?? "",
          ...(metadata !== undefined && { metadata }),
          updates: 0,
        };
        messages.push(message);
        return { body: { ok: true, channel, ts: message.ts, message: { ts: message.ts, text: message.text } } };
      }
      case "chat.update": {
        const m = messages.find((x) => x.ts === field(req, "ts") && x.channel === field(req, "channel"));
        if (m === undefined) return { body: { ok: false, error: "message_not_found" } };
        m.text = field(req, "text") ?? m.text;
        m.blocks = field(req, "blocks") ?? m.blocks;
        m.updates += 1;
        return { body: { ok: true, channel: m.channel, ts: m.ts, text: m.text } };
      }
      case "conversations.history":
      case "conversations.replies": {
        const channel = field(req, "channel");
        const oldest = Number(field(req, "oldest") ?? 0);
        const thread = method === "conversations.replies" ? field(req, "ts") : undefined;
        const withMeta = field(req, "include_all_metadata") === "true";
        const found = messages
          .filter((m) => m.channel === channel)
          .filter((m) => (thread !== undefined ? m.ts === thread || m.threadTs === thread : m.threadTs === undefined))
          .filter((m) => Number(m.ts) >= oldest)
          .reverse()
          .map((m) => ({
            type: "message",
            ts: m.ts,
            text: m.text,
            ...(m.threadTs !== undefined && { thread_ts: m.threadTs }),
            ...(withMeta && m.metadata !== undefined && { metadata: m.metadata }),
          }));
        return { body: { ok: true, messages: found, has_more: false } };
      }
      case "files.getUploadURLExternal": {
        seq += 1;
        const id = `F${String(seq).padStart(9, "0")}`;
        pendingUploads.set(id, { filename: field(req, "filename") ?? "file" });
        return { body: { ok: true, upload_url: `${url}/upload/${id}`, file_id: id } };
      }
      case "upload": {
        const id = req.path.split("/").pop() ?? "";
        const p = pendingUploads.get(id);
        if (p === undefined) return { status: 404, body: "no such upload" };
        p.content = fileContent(req);
        return { status: 200, body: `OK - ${req.body.length}` };
      }
      case "files.completeUploadExternal": {
        const list = (parseJson(field(req, "files")) ?? []) as Array<{ id: string; title?: string }>;
        const channel = field(req, "channel_id");
        const threadTs = field(req, "thread_ts");
        for (const f of list) {
          const p = pendingUploads.get(f.id);
          if (p?.content === undefined) return { body: { ok: false, error: "file_not_found" } };
          pendingUploads.delete(f.id);
          files.push({
            id: f.id,
            filename: p.filename,
            content: p.content,
            ...(channel !== undefined && { channel }),
            ...(threadTs !== undefined && { threadTs }),
          });
        }
        return { body: { ok: true, files: list.map((f) => ({ id: f.id, title: f.title })) } };
      }
      default:
        return { body: { ok: false, error: "unknown_method" } };
    }
  };

  const server = await startLoopback((req) => {
    const method = req.path.startsWith("/upload/") ? "upload" : req.path.replace(/^\/api\//, "");
    if (method !== "upload" && options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return { body: { ok: false, error: "invalid_auth" } };
    }
    const call = { method, req, at: Date.now() };
    if (WRITES.has(method)) writes.push(call);
    if (method === "chat.postMessage" && options.postIntervalMs !== undefined) {
      const channel = field(req, "channel") ?? "";
      const now = Date.now();
      const interval = options.postIntervalMs;
      const burst = options.postBurst ?? 1;
      const tat = Math.max(bucket.get(channel) ?? 0, now);
      if (tat - now > (burst - 1) * interval) {
        rateLimited.push(call);
        const wait = Math.max(1, Math.ceil((tat - now - (burst - 1) * interval) / 1000));
        return { status: 429, headers: { "retry-after": String(wait) }, body: { ok: false, error: "ratelimited" } };
      }
      bucket.set(channel, tat + interval);
    }
    const fault = plan(call);
    if (fault !== undefined && "clean" in fault) {
      faults.clean += 1;
      return fault.clean;
    }
    const reply = answer(method, req);
    if (fault !== undefined && "acted" in fault) {
      faults.acted += 1;
      return fault.acted;
    }
    return reply;
  });
  url = server.url;
  return {
    server,
    apiUrl: `${server.url}/api/`,
    messages,
    files,
    writes,
    rateLimited,
    faults,
    fail: (p) => {
      plan = p;
    },
    close: () => server.close(),
  };
};
