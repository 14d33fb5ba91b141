/**
 * `offboard hook serve --port N [--queue-url URL]`: the self-hosted twin of the Event Hook Lambda. Answers
 * Okta's verification and deliveries on `/`, checks the header secret (OKTA_EVENT_HOOK_SECRET, in the
 * header OKTA_EVENT_HOOK_HEADER, default Authorization) in constant time. With `--queue-url` it enqueues
 * like the Lambda (envelopes with source `offboard.event-hook`); without, it delivers through the local
 * pipeline and ledger like `replay`. Okta requires https: put it behind a TLS-terminating proxy.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AppConfig } from "@offboard/adapters";
import { EVENT_HOOK_SOURCE, makeEventHookReceiver, sqsEnqueueTo, toEnvelope } from "@offboard/handlers";
import type { Command } from "commander";
import { UsageError } from "../io.ts";
import { type DeliverySession, openDeliverySession, pageRecords } from "./poll.ts";

/** Okta's deliveries are small; anything above this is refused before it is read. */
const MAX_BODY_BYTES = 1_000_000;

export interface HookServeOptions {
  readonly port: number;
  readonly host: string;
  readonly secret: string;
  readonly headerName: string;
  /** Enqueue here (like the Lambda); otherwise deliver through `session`. */
  readonly queueUrl?: string | undefined;
  readonly session?: DeliverySession | undefined;
  readonly log: (entry: Record<string, unknown>) => void;
}

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

/** Starts the receiver; resolves once it listens. */
export const serveHook = async (o: HookServeOptions): Promise<{ server: Server; port: number }> => {
  const enqueue = o.queueUrl !== undefined ? sqsEnqueueTo(o.queueUrl) : undefined;
  // One local delivery at a time: the SQLite ledger is the arbiter, but a batch is processed as a unit.
  let chain: Promise<unknown> = Promise.resolve();
  const receive = makeEventHookReceiver({
    headerName: o.headerName,
    secret: async () => o.secret,
    log: o.log,
    deliver: async (events, { eventId, signal }) => {
      if (enqueue !== undefined) {
        await enqueue(
          events.map((e, i) => toEnvelope(e, EVENT_HOOK_SOURCE, {}, `${eventId ?? "hook"}:${i}`)),
          signal,
        );
        return;
      }
      const session = o.session;
      if (session === undefined) throw new Error("no delivery target");
      const run = chain.then(() => session.deliver(pageRecords(events, eventId ?? "hook")));
      chain = run.catch(() => undefined);
      const outcomes = await run;
      // A record to retry later (a sink failed transiently) fails the hand-off: Okta retries once.
      if (outcomes.some((x) => x.status === "retry-later")) throw new Error("a delivery failed; retry later");
    },
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    void (async () => {
      if (path !== "/") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { "content-type": "application/json" }).end('{"error":"body too large"}');
        return;
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      const out = await receive({ method: req.method ?? "GET", headers, body });
      res.writeHead(out.statusCode, out.headers).end(out.body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"internal error"}');
    });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr !== null ? addr.port : o.port };
};

export const registerHook = (program: Command, loadConfig: () => Promise<AppConfig>): void => {
  const hook = program.command("hook").description("Okta Event Hooks");
  hook
    .command("serve")
    .description(
      "receive Okta Event Hook deliveries on / (verification, header secret OKTA_EVENT_HOOK_SECRET): enqueue them " +
        "with --queue-url, or deliver them through the local pipeline and ledger",
    )
    .requiredOption("--port <n>", "TCP port to listen on (0 picks a free one)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--queue-url <url>", "the worker's SQS queue: enqueue like the Lambda instead of delivering locally")
    .option("--no-preview", "do not print the alert and ticket preview of each local delivery")
    .action(async (opts: { port: string; host: string; queueUrl?: string; preview: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be 0-65535");
      const secret = process.env.OKTA_EVENT_HOOK_SECRET ?? "";
      if (secret.trim().length < 16) {
        throw new UsageError(
          "OKTA_EVENT_HOOK_SECRET must be set to the header value configured on the Okta Event Hook (at least 16 characters)",
        );
      }
      const headerName = process.env.OKTA_EVENT_HOOK_HEADER ?? "Authorization";
      if (!/^[A-Za-z0-9-]{1,64}$/.test(headerName))
        throw new UsageError("OKTA_EVENT_HOOK_HEADER must be a header name");
      if (opts.queueUrl !== undefined && !/^https?:\/\//.test(opts.queueUrl)) {
        throw new UsageError("--queue-url must be an SQS queue URL");
      }
      const config = opts.queueUrl === undefined ? await loadConfig() : undefined;
      const session =
        config !== undefined
          ? openDeliverySession({
              config,
              preview: opts.preview,
              color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
              out: process.stdout,
              err: process.stderr,
            })
          : undefined;
      const log = (entry: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(entry)}\n`);
      let started: { server: Server; port: number };
      try {
        started = await serveHook({
          port,
          host: opts.host,
          secret: secret.trim(),
          headerName,
          queueUrl: opts.queueUrl,
          session,
          log,
        });
      } catch (e) {
        await session?.close();
        throw new UsageError(`cannot listen on ${opts.host}:${port}: ${(e as Error).message}`);
      }
      log({
        level: "INFO",
        message: "event hook receiver listening",
        url: `http://${opts.host}:${started.port}/`,
        target: opts.queueUrl !== undefined ? "queue" : "local pipeline",
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await new Promise<void>((resolve) => started.server.close(() => resolve()));
      await session?.close();
    });
};
