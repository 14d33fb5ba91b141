/**
 * A complete sink in one file: POST each routed event as JSON to a webhook. This is the example of
 * docs/adding-a-sink.md, kept as a file that typechecks (`npx tsc -b docs/snippets`) and that
 * packages/adapters/test/sink-definition.test.ts plugs into a registry and delivers over real HTTP.
 *
 * In the repository it would live in its own folder, packages/adapters/src/webhook/ (one file, or split
 * into settings, errors, sink and definition like slack/ and jira/), and import the types from
 * "../sink-definition.ts" instead of "@offboard/adapters/sink-definition"; then one line in SINK_REGISTRY
 * (`webhook: webhookSink,`) switches it on.
 */
import type { SinkDefinition } from "@offboard/adapters/sink-definition";
import { type DeliveryContext, type OffboardingEvent, type Receipt, type Sink, SinkError } from "@offboard/core";
import { Effect, Redacted } from "effect";

export interface WebhookSettings {
  /** WEBHOOK_URL: where the JSON is posted. */
  readonly url: string;
  /** WEBHOOK_TOKEN: sent as a Bearer token; a secret, so Redacted end to end. */
  readonly token: Redacted.Redacted<string>;
  /** WEBHOOK_TIMEOUT_SECONDS, in ms. */
  readonly timeoutMs: number;
}

export const WEBHOOK_SINK = "webhook";

/** Adapters classify, the core decides: 429 / 408 / 5xx / network are transient, other 4xx permanent. */
const classify = (status: number, body: string, retryAfter: string | null): SinkError =>
  new SinkError({
    sink: WEBHOOK_SINK,
    failure: status === 429 || status === 408 || status >= 500 ? "transient" : "permanent",
    code: String(status),
    // The vendor's own words, never the token.
    message: `webhook: HTTP ${status}: ${body.slice(0, 300)}`,
    ...(retryAfter !== null && Number.isFinite(Number(retryAfter)) && { retryAfterMs: Number(retryAfter) * 1000 }),
  });

/** The sink itself: settings in, `Sink` out. */
export const makeWebhookSink = (settings: WebhookSettings): Sink => {
  const deliver = Effect.fn("WebhookSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const res = yield* Effect.tryPromise({
      try: () =>
        fetch(settings.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${Redacted.value(settings.token)}`,
            // Lets the receiver drop a repeat of the same (event, sink), if it keeps keys.
            "idempotency-key": ctx.idempotencyKey,
          },
          body: JSON.stringify({ event, followUp: ctx.followUp, case: ctx.case?.openedBy }),
          signal: AbortSignal.timeout(settings.timeoutMs),
        }),
      catch: (cause) =>
        new SinkError({
          sink: WEBHOOK_SINK,
          failure: "transient",
          code: "network",
          message: `webhook: request failed (${cause instanceof Error ? cause.name : "unknown"})`,
        }),
    });
    if (!res.ok) {
      const text = yield* Effect.promise(() => res.text().catch(() => ""));
      return yield* classify(res.status, text, res.headers.get("retry-after"));
    }
    return { sink: WEBHOOK_SINK, ref: event.id, detail: { status: String(res.status) } } satisfies Receipt;
  });
  return { name: WEBHOOK_SINK, deliver };
};

/**
 * How offboard configures the sink: its keys (each gets a row in docs/configuration.md), the keys that
 * switch it on, how to read and validate them, how to build it, and a one-line summary without secrets.
 */
export const webhookSink: SinkDefinition<WebhookSettings> = {
  name: WEBHOOK_SINK,
  keys: [
    { name: "WEBHOOK_URL", secret: false, description: "https URL the events are posted to" },
    { name: "WEBHOOK_TOKEN", secret: true, description: "Bearer token the receiver checks" },
    { name: "WEBHOOK_TIMEOUT_SECONDS", secret: false, default: "5", description: "Per-request timeout" },
  ],
  requires: ["WEBHOOK_URL", "WEBHOOK_TOKEN"],
  // Called only when WEBHOOK_URL and WEBHOOK_TOKEN are both set. Record every problem, then give up.
  read: (r) => {
    const url = r.url("WEBHOOK_URL", { credentials: true }); // https, or http to 127.0.0.1 only
    const token = r.redacted("WEBHOOK_TOKEN");
    const timeoutSeconds = r.int("WEBHOOK_TIMEOUT_SECONDS", 1, 5);
    if (url === undefined || token === undefined) return undefined;
    return { url, token, timeoutMs: timeoutSeconds * 1000 };
  },
  make: makeWebhookSink,
  // Only the origin: a webhook URL's path may itself be a secret.
  describe: (s) => `posts to ${new URL(s.url).origin}, timeout ${s.timeoutMs / 1000} s`,
};
