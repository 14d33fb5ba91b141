import type { DeliveryContext, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import { SinkError } from "@offboard/core";
import { Data, Effect } from "effect";
import { type LazyWebClient, makeSlackClient } from "./client.ts";
import { classifySlackError, isBlockError, ORIGINAL_GONE } from "./errors.ts";
import {
  buildCaseUpdate,
  buildPlainAlert,
  buildSlackAlert,
  type CaseSnapshot,
  type SlackAlert,
  snapshotDetail,
  snapshotOf,
} from "./message.ts";
import { SLACK_SINK, type SlackSettings } from "./settings.ts";

/**
 * The Slack sink: one Block Kit message per routed event in the configured channel. Follow-ups
 * (unsuspended, reactivated) rewrite the case's original message (chat.update) and then reply in its
 * thread. Failures are classified, never retried beyond the bounded retries of one attempt. An event
 * that arrived after a later one of the same user (`context.supersededBy`) says so and leaves the
 * case's original message alone.
 */

/** What became of the rewrite of a case's original message, for a follow-up. */
type OriginalUpdate = Data.TaggedEnum<{
  /** chat.update succeeded. */
  Updated: {};
  /** The follow-up arrived after a later event: the original, showing a later state, is left alone. */
  Skipped: {};
  /** The original is gone or can no longer be edited (ORIGINAL_GONE): the follow-up is posted anew. */
  OriginalGone: { readonly code: string };
  /** Slack refused the rewritten blocks (BLOCK_ERRORS): the original stays; the thread reply carries the news. */
  BlocksRefused: { readonly code: string };
}>;
const OriginalUpdate = Data.taggedEnum<OriginalUpdate>();

/** The receipt's `update` detail: "updated", "skipped (superseded)", or Slack's error code. */
const updateDetail = OriginalUpdate.$match({
  Updated: () => "updated",
  Skipped: () => "skipped (superseded)",
  OriginalGone: ({ code }) => code,
  BlocksRefused: ({ code }) => code,
});

const post = (client: LazyWebClient, what: string, args: Record<string, unknown>) =>
  Effect.tryPromise({
    try: async () => (await client()).apiCall(what, args) as Promise<{ ts?: string; channel?: string }>,
    catch: (cause) => classifySlackError(cause, what),
  });

const send = (
  client: LazyWebClient,
  channel: string,
  content: { text: string; blocks?: SlackAlert["blocks"] },
  threadTs?: string,
) =>
  post(client, "chat.postMessage", {
    channel,
    ...content,
    unfurl_links: false,
    unfurl_media: false,
    ...(threadTs !== undefined && { thread_ts: threadTs, reply_broadcast: false }),
  }).pipe(
    Effect.flatMap((res) =>
      typeof res.ts === "string"
        ? Effect.succeed({ channel: typeof res.channel === "string" ? res.channel : channel, ts: res.ts })
        : Effect.fail(
            new SinkError({
              sink: SLACK_SINK,
              failure: "permanent",
              code: "no_ts",
              message: "Slack chat.postMessage answered ok without a message ts",
            }),
          ),
    ),
  );

/**
 * Posts the alert; when Slack refuses its blocks, posts it once more as text only (`plain`). The
 * result says which (`blocksRefused`: Slack's error code) for the receipt.
 */
const postMessage = (client: LazyWebClient, channel: string, alert: SlackAlert, plain: string, threadTs?: string) =>
  send(client, channel, { text: alert.text, blocks: alert.blocks }, threadTs).pipe(
    Effect.map((sent): { channel: string; ts: string; blocksRefused?: string } => sent),
    Effect.catchIf(isBlockError, (e) =>
      Effect.logWarning(`Slack refused the alert's blocks (${e.code}); posting it as text only`).pipe(
        Effect.andThen(send(client, channel, { text: plain }, threadTs)),
        Effect.map((sent) => ({ ...sent, blocksRefused: e.code ?? "invalid_blocks" })),
      ),
    ),
  );

/** The receipt detail of a text-only fallback: which error made it and that the message has no blocks. */
const fallbackDetail = (sent: { blocksRefused?: string }): Record<string, string> =>
  sent.blocksRefused !== undefined ? { format: "text only", blocksRefused: sent.blocksRefused } : {};

/**
 * A follow-up on a case: rewrite the original first (idempotent), then reply in its thread (last,
 * because it is the one step that would repeat on a retry); post anew when the original is gone.
 */
const followUpOnCase = Effect.fn("SlackSink.followUp")(function* (
  client: LazyWebClient,
  settings: SlackSettings,
  snapshot: CaseSnapshot,
  message: {
    readonly event: OffboardingEvent;
    readonly ctx: DeliveryContext;
    readonly alert: SlackAlert;
    readonly plain: string;
  },
) {
  const { event, ctx, alert, plain } = message;
  // An out-of-order follow-up (a reactivation arriving after a later deactivation) leaves the original
  // alone: it shows a later state than this event. The reply still goes to the thread.
  // An event whose date cannot be trusted does not change the case either.
  const superseded =
    ctx.supersededBy !== undefined || ctx.step?.timeliness === "future" || ctx.step?.timeliness === "undated";
  const update = buildCaseUpdate(snapshot, event, ctx, settings);
  const updated: OriginalUpdate = superseded
    ? OriginalUpdate.Skipped()
    : yield* post(client, "chat.update", {
        channel: snapshot.channel,
        ts: snapshot.ts,
        text: update.text,
        blocks: update.blocks,
      }).pipe(
        Effect.as(OriginalUpdate.Updated()),
        Effect.catchIf(
          (e) => e.failure === "permanent" && e.code !== undefined && (ORIGINAL_GONE.has(e.code) || isBlockError(e)),
          (e) =>
            Effect.succeed(
              isBlockError(e)
                ? OriginalUpdate.BlocksRefused({ code: e.code ?? "invalid_blocks" })
                : OriginalUpdate.OriginalGone({ code: e.code ?? "message_not_found" }),
            ),
        ),
      );
  if (updated._tag === "OriginalGone") {
    yield* Effect.logWarning(
      `Slack original message ${snapshot.ts} could not be updated (${updated.code}); posting anew`,
    );
    const sent = yield* postMessage(client, settings.channelId, alert, plain);
    return {
      sink: SLACK_SINK,
      ref: sent.ts,
      detail: {
        channel: sent.channel,
        ts: sent.ts,
        original: snapshot.ts,
        update: updateDetail(updated),
        ...fallbackDetail(sent),
      },
    } satisfies Receipt;
  }
  // Updated, skipped, or the original exists but Slack refused the rewritten blocks: the thread reply
  // carries the follow-up either way.
  if (updated._tag === "BlocksRefused") {
    yield* Effect.logWarning(`Slack refused the update of ${snapshot.ts} (${updated.code}); replying in its thread`);
  }
  const reply = yield* postMessage(client, snapshot.channel, alert, plain, snapshot.ts);
  return {
    sink: SLACK_SINK,
    ref: reply.ts,
    detail: {
      channel: reply.channel,
      ts: reply.ts,
      thread_ts: snapshot.ts,
      update: updateDetail(updated),
      ...fallbackDetail(reply),
    },
  } satisfies Receipt;
});

/** Builds the Slack sink (name "slack") from its settings. */
export const makeSlackSink = (settings: SlackSettings): Sink => {
  const client = makeSlackClient(settings);

  const deliver = Effect.fn("SlackSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const original = ctx.case?.receipts.slack;
    const snapshot =
      ctx.followUp && original !== undefined && ctx.case !== undefined
        ? snapshotOf(original, ctx.case.openedKind, ctx.case.openedBy)
        : undefined;

    const alert = buildSlackAlert(event, ctx, settings);
    const plain = buildPlainAlert(event, ctx, settings);

    if (snapshot === undefined) {
      const sent = yield* postMessage(client, settings.channelId, alert, plain);
      return {
        sink: SLACK_SINK,
        ref: sent.ts,
        detail: { ...snapshotDetail(sent.channel, sent.ts, event), ...fallbackDetail(sent) },
      } satisfies Receipt;
    }

    return yield* followUpOnCase(client, settings, snapshot, { event, ctx, alert, plain });
  });

  return { name: SLACK_SINK, deliver };
};
