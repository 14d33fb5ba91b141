/**
 * A complete sink in one file: POST each routed event as JSON to a webhook. This is the example of
 * docs/adding-a-sink.md, kept as a file that typechecks (`npx tsc -p docs/snippets`).
 * In the repository it would live at packages/adapters/src/webhook.ts.
 */
import { type DeliveryContext, type OffboardingEvent, type Receipt, type Sink, SinkError } from "@offboard/core";
import { Effect, Redacted } from "effect";

export interface WebhookSettings {
  /** WEBHOOK_URL: where the JSON is posted. */
  readonly url: string;
  /** WEBHOOK_TOKEN: sent as a Bearer token; a secret, so Redacted end to end. */
  readonly token: Redacted.Redacted<string>;
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
