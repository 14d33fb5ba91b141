import { randomUUID } from "node:crypto";
import type { Coordination, DeliveryContext, LedgerError, OffboardingEvent, Receipt, Sink } from "@offboard/core";
import { SinkError } from "@offboard/core";
import { Clock, Data, Duration, Effect } from "effect";
import { holdOff, type Pace, paced } from "../coordination/pacing.ts";
import { makeSlackClient } from "./client.ts";
import {
  admit,
  buildDigest,
  closesAt,
  csvFileName,
  type DigestHead,
  digestCsv,
  hasShown,
  markAmbiguous,
  markFollowUp,
  readHead,
  readMembers,
  updateHead,
  type Window,
  wasAmbiguous,
  windowFromKey,
  windowOf,
} from "./digest.ts";
import { classifySlackError, isAmbiguous, isBlockError, ORIGINAL_GONE } from "./errors.ts";
import {
  buildCaseUpdate,
  buildPlainAlert,
  buildSlackAlert,
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
  /** The case opened in a burst digest: the digest marks the user instead of being rewritten. */
  InDigest: {};
}>;
const OriginalUpdate = Data.taggedEnum<OriginalUpdate>();

/** The receipt's `update` detail: "updated", "skipped (superseded)", or Slack's error code. */
const updateDetail = OriginalUpdate.$match({
  Updated: () => "updated",
  Skipped: () => "skipped (superseded)",
  OriginalGone: ({ code }) => code,
  BlocksRefused: ({ code }) => code,
  InDigest: () => "marked in the digest",
});

/** The `metadata.event_type` of every alert offboard posts, and of its digests. */
export const ALERT_METADATA_TYPE = "offboard_alert";
export const DIGEST_METADATA_TYPE = "offboard_digest";

/** How far back an attempt looks for a message an earlier attempt may have posted. */
const LOOKBACK_MS = 30 * 60_000;
/** How long a digest rewrite may hold the window's lease. */
const DIGEST_LEASE_MS = 15_000;

/** A message offboard posts: its content and the metadata that lets a later attempt find it. */
interface Outgoing {
  readonly text: string;
  readonly blocks?: SlackAlert["blocks"];
  readonly metadata: { readonly event_type: string; readonly event_payload: Record<string, string> };
}

interface SlackMessageLike {
  readonly ts?: unknown;
  readonly metadata?: { readonly event_type?: unknown; readonly event_payload?: Record<string, unknown> };
}

interface SlackCallResult {
  readonly ts?: string;
  readonly channel?: string;
  readonly messages?: ReadonlyArray<SlackMessageLike>;
}

const ledgerDown = (e: LedgerError): SinkError =>
  new SinkError({
    sink: SLACK_SINK,
    failure: "transient",
    code: "ledger",
    message: `ledger unavailable: ${e.message}`,
    cause: e,
  });

/** Builds the Slack sink (name "slack") from its settings. */
export const makeSlackSink = (settings: SlackSettings): Sink => {
  const client = makeSlackClient(settings);
  const pace: Pace = { intervalMs: settings.paceIntervalMs, burst: settings.paceBurst };
  const paceKey = (channel: string) => `slack-pace#${channel}`;

  const call = (what: string, args: Record<string, unknown>): Effect.Effect<SlackCallResult, SinkError> =>
    Effect.tryPromise({
      try: async () => (await client()).apiCall(what, args) as Promise<SlackCallResult>,
      catch: (cause) => classifySlackError(cause, what),
    });

  const tooLong = (what: string) => (waitMs: number) =>
    new SinkError({
      sink: SLACK_SINK,
      failure: "transient",
      code: "paced",
      message: `Slack ${what}: the channel's next slot is ${Math.ceil(waitMs / 1000)} s away (shared pacing)`,
      retryAfterMs: waitMs,
    });

  /**
   * A write: paced on its channel when `paceIt` (chat.postMessage), and after a 429 retried once,
   * exactly after its Retry-After, when that is short enough; otherwise the 429 goes back with its
   * Retry-After, for the record to return to the queue after exactly that long. Every writer on the
   * channel is told to hold off as long.
   */
  const write = (
    what: string,
    args: Record<string, unknown>,
    channel: string,
    coordination: Coordination | undefined,
    paceIt: boolean,
  ) => {
    const once: Effect.Effect<SlackCallResult, SinkError> =
      paceIt && pace.intervalMs > 0
        ? paced(coordination, paceKey(channel), pace, settings.maxWaitMs, call(what, args), tooLong(what), ledgerDown)
        : call(what, args);
    return once.pipe(
      Effect.catchIf(
        (e) => e.code === "rate_limited",
        (e) =>
          Effect.gen(function* () {
            const wait = e.retryAfterMs ?? 1_000;
            const now = yield* Clock.currentTimeMillis;
            yield* holdOff(coordination, paceKey(channel), pace, now + wait);
            if (wait > settings.maxWaitMs) return yield* Effect.fail(e);
            yield* Effect.sleep(Duration.millis(wait));
            return yield* once;
          }),
      ),
    );
  };

  /** Reads, retried a little on transient failures (a lookup repeats nothing). */
  const read = (what: string, args: Record<string, unknown>) =>
    call(what, args).pipe(
      Effect.retry({
        times: Math.max(1, settings.maxRetries),
        while: (e: SinkError) => e.failure === "transient" && e.code !== "rate_limited",
      }),
    );

  /** The message an earlier try posted with this metadata, if Slack has it. */
  const findPosted = (channel: string, metadata: Outgoing["metadata"], threadTs: string | undefined) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis;
      const res = yield* threadTs !== undefined
        ? read("conversations.replies", { channel, ts: threadTs, include_all_metadata: true, limit: 200 })
        : read("conversations.history", {
            channel,
            oldest: ((now - LOOKBACK_MS) / 1000).toFixed(6),
            include_all_metadata: true,
            limit: 200,
          });
      const [field, value] = Object.entries(metadata.event_payload)[0] ?? ["", ""];
      const found = (res.messages ?? []).find(
        (m) =>
          m.metadata?.event_type === metadata.event_type &&
          m.metadata.event_payload?.[field] === value &&
          typeof m.ts === "string",
      );
      return found === undefined ? undefined : { channel, ts: found.ts as string };
    });

  /**
   * Posts once, exactly: a failure where Slack may have acted (5xx, timeout, reset) is followed by a
   * lookup (by the message's metadata) and, only when nothing is found, one more post. `ambiguous`
   * says an earlier attempt may have posted it already (look first); `onAmbiguous` is told when this
   * attempt ends unsure, for the next attempt to look first.
   */
  const postOnce = (
    channel: string,
    content: Outgoing,
    threadTs: string | undefined,
    coordination: Coordination | undefined,
    ambiguousAtStart: boolean,
    onAmbiguous: Effect.Effect<void>,
  ): Effect.Effect<{ channel: string; ts: string; adopted: boolean }, SinkError> =>
    Effect.gen(function* () {
      let ambiguous = ambiguousAtStart;
      for (let posts = 0; ; posts++) {
        if (ambiguous) {
          const found = yield* findPosted(channel, content.metadata, threadTs).pipe(Effect.tapError(() => onAmbiguous));
          if (found !== undefined) {
            yield* Effect.logInfo(`Slack already had the message (${found.ts}); adopting it instead of posting again`);
            return { ...found, adopted: true };
          }
        }
        const sent = yield* Effect.result(
          write(
            "chat.postMessage",
            {
              channel,
              text: content.text,
              ...(content.blocks !== undefined && { blocks: content.blocks }),
              metadata: content.metadata,
              unfurl_links: false,
              unfurl_media: false,
              ...(threadTs !== undefined && { thread_ts: threadTs, reply_broadcast: false }),
            },
            channel,
            coordination,
            true,
          ).pipe(Effect.onInterrupt(() => onAmbiguous)),
        );
        if (sent._tag === "Success") {
          const res = sent.success;
          if (typeof res.ts !== "string") {
            return yield* new SinkError({
              sink: SLACK_SINK,
              failure: "permanent",
              code: "no_ts",
              message: "Slack chat.postMessage answered ok without a message ts",
            });
          }
          return { channel: typeof res.channel === "string" ? res.channel : channel, ts: res.ts, adopted: false };
        }
        const e = sent.failure;
        if (isAmbiguous(e)) {
          ambiguous = true;
          if (posts < 1) continue;
        }
        if (ambiguous) yield* onAmbiguous;
        return yield* Effect.fail(e);
      }
    });

  /**
   * Posts the alert; when Slack refuses its blocks, posts it once more as text only (`plain`). The
   * result says which (`blocksRefused`: Slack's error code) for the receipt.
   */
  const postMessage = (
    channel: string,
    alert: SlackAlert,
    plain: string,
    event: OffboardingEvent,
    ctx: DeliveryContext,
    sure: { readonly ambiguous: boolean; readonly onAmbiguous: Effect.Effect<void> },
    threadTs?: string,
  ) => {
    const metadata = {
      event_type: ALERT_METADATA_TYPE,
      event_payload: { okta_event_id: event.id, sink_attempt: randomUUID() },
    };
    return postOnce(
      channel,
      { text: alert.text, blocks: alert.blocks, metadata },
      threadTs,
      ctx.coordination,
      sure.ambiguous,
      sure.onAmbiguous,
    ).pipe(
      Effect.map((sent): { channel: string; ts: string; adopted: boolean; blocksRefused?: string } => sent),
      Effect.catchIf(isBlockError, (e) =>
        Effect.logWarning(`Slack refused the alert's blocks (${e.code}); posting it as text only`).pipe(
          Effect.andThen(
            postOnce(channel, { text: plain, metadata }, threadTs, ctx.coordination, false, sure.onAmbiguous),
          ),
          Effect.map((sent) => ({ ...sent, blocksRefused: e.code ?? "invalid_blocks" })),
        ),
      ),
    );
  };

  /** What the window says about this event's earlier attempts, and how to tell the next one. */
  const certainty = (ctx: DeliveryContext, window: Window | undefined, event: OffboardingEvent, ambiguous: boolean) => {
    const coordination = ctx.coordination;
    return {
      ambiguous,
      onAmbiguous:
        coordination === undefined || window === undefined
          ? Effect.void
          : Effect.ignore(markAmbiguous(coordination, event.id)),
    };
  };

  // ── Digests ─────────────────────────────────────────────────────────────────────────────────────

  const digestReceipt = (window: Window, head: DigestHead, event: OffboardingEvent): Receipt => ({
    sink: SLACK_SINK,
    ref: head.ts ?? "",
    detail: {
      ...snapshotDetail(window.channel, head.ts ?? "", event),
      digest: window.key,
    },
  });

  /** The receipt detail of a text-only fallback: which error made it and that the message has no blocks. */
  const fallbackDetail = (sent: { blocksRefused?: string }): Record<string, string> =>
    sent.blocksRefused !== undefined ? { format: "text only", blocksRefused: sent.blocksRefused } : {};

  /**
   * Rewrites (or first posts) the digest while holding the window's lease `token`. `eventId`: the
   * event whose record then waits to attach the CSV when the window closes (undefined: keep the one
   * that waits already).
   */
  const renderDigest = (coordination: Coordination, window: Window, token: string, eventId: string | undefined) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis;
      const head = yield* readHead(coordination, window).pipe(Effect.mapError(ledgerDown));
      if (head.leaseToken !== token) return;
      const { members, size, missing, lastJoinAt } = yield* readMembers(
        coordination,
        window,
        settings.digestThreshold,
        settings.digestWindowMs,
      ).pipe(Effect.mapError(ledgerDown));
      const closed = now >= closesAt(window, lastJoinAt, settings.digestUpdateMs);
      const news = size > head.shown || (head.missing ?? []).some((p) => !missing.includes(p));
      const followUps = head.followUps ?? {};
      const content = buildDigest(window, members, closed, followUps);
      let ts = head.ts;
      if (ts === undefined) {
        const sent = yield* postOnce(
          window.channel,
          {
            text: content.text,
            blocks: content.blocks,
            metadata: { event_type: DIGEST_METADATA_TYPE, event_payload: { digest: window.key } },
          },
          undefined,
          coordination,
          head.posting === true,
          Effect.void,
        );
        ts = sent.ts;
      } else if (news || Object.keys(followUps).length > 0 || !closed) {
        yield* write(
          "chat.update",
          { channel: window.channel, ts, text: content.text, blocks: content.blocks },
          window.channel,
          coordination,
          false,
        );
      }
      if (closed) {
        const digestTs = ts;
        yield* Effect.tryPromise({
          try: async () =>
            (await client()).filesUploadV2({
              channel_id: window.channel,
              thread_ts: digestTs,
              file: Buffer.from(digestCsv(members, followUps), "utf8"),
              filename: csvFileName(window),
              title: `All ${members.length} users of this burst`,
            }),
          catch: (cause) => classifySlackError(cause, "files.uploadV2"),
        });
      }
      const done = ts;
      yield* updateHead(coordination, window, (s) => ({
        state: {
          ...s,
          ts: done,
          posting: false,
          shown: size,
          missing,
          renderedAt: now,
          lastJoinAt,
          final: closed,
          duty: closed ? undefined : (eventId ?? s.duty),
          leaseUntil: 0,
          leaseToken: undefined,
        },
        result: undefined,
      })).pipe(Effect.mapError(ledgerDown));
    }).pipe(
      Effect.tapError(() =>
        Effect.ignore(
          updateHead(coordination, window, (s) =>
            s.leaseToken === token
              ? { state: { ...s, leaseUntil: 0, leaseToken: undefined }, result: undefined }
              : { keep: undefined },
          ),
        ),
      ),
    );

  /** Takes the window's lease when free; true when taken. */
  const takeLease = (coordination: Coordination, window: Window, token: string) =>
    updateHead(coordination, window, (s, now) =>
      s.leaseUntil > now
        ? { keep: false }
        : {
            state: {
              ...s,
              leaseUntil: now + DIGEST_LEASE_MS,
              leaseToken: token,
              posting: s.posting === true || s.ts === undefined,
            },
            result: true,
          },
    ).pipe(Effect.mapError(ledgerDown));

  /**
   * An alert in a digest: delivered once the digest names it. Whoever finds a rewrite due takes the
   * window's lease and does it; the others wait (within `maxWaitMs`) or come back when it is due.
   */
  const deliverInDigest = (coordination: Coordination, window: Window, event: OffboardingEvent, position: number) =>
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis;
      for (;;) {
        const now = yield* Clock.currentTimeMillis;
        const head = yield* readHead(coordination, window).pipe(Effect.mapError(ledgerDown));
        const closeAt = closesAt(window, head.lastJoinAt, settings.digestUpdateMs);
        const closed = now >= closeAt;
        const shown = hasShown(head, position);
        if (shown && (head.duty !== event.id || (head.final && closed))) return digestReceipt(window, head, event);
        const due = !shown || (closed && !head.final);
        const dueAt =
          head.ts === undefined || (closed && !head.final)
            ? now
            : Math.max(now, head.renderedAt + settings.digestUpdateMs);
        if (due && head.leaseUntil <= now && dueAt <= now) {
          const token = randomUUID();
          if (yield* takeLease(coordination, window, token)) yield* renderDigest(coordination, window, token, event.id);
          continue;
        }
        // Someone is rewriting it now: look again shortly. Otherwise: when the next rewrite is due.
        let until = head.leaseUntil > now ? Math.min(head.leaseUntil, now + 1_000) : dueAt;
        if (shown && head.duty === event.id) until = Math.max(until, closeAt);
        const waitMs = Math.max(250, until - now + 100);
        if (now + waitMs - started <= settings.maxWaitMs) {
          yield* Effect.sleep(Duration.millis(waitMs));
          continue;
        }
        return yield* new SinkError({
          sink: SLACK_SINK,
          failure: "transient",
          code: "digest_pending",
          message: `in the burst digest of ${new Date(window.start).toISOString()}; delivered when the digest names it`,
          retryAfterMs: Math.max(1_000, waitMs),
        });
      }
    });

  /** A follow-up on a user named in a digest: the digest marks the user, rewritten now if it can be. */
  const markInDigest = (coordination: Coordination, key: string, openedBy: string, event: OffboardingEvent) =>
    Effect.gen(function* () {
      const window = windowFromKey(key, settings.digestWindowMs);
      if (window === undefined) return;
      yield* markFollowUp(coordination, window, openedBy, event.kind);
      const token = randomUUID();
      if (yield* takeLease(coordination, window, token)) yield* renderDigest(coordination, window, token, undefined);
    }).pipe(Effect.ignore);

  const deliver = Effect.fn("SlackSink.deliver")(function* (event: OffboardingEvent, ctx: DeliveryContext) {
    const original = ctx.case?.receipts.slack;
    const snapshot =
      ctx.followUp && original !== undefined && ctx.case !== undefined
        ? snapshotOf(original, ctx.case.openedKind, ctx.case.openedBy)
        : undefined;
    const coordination = ctx.coordination;
    const now = yield* Clock.currentTimeMillis;
    const window =
      coordination !== undefined ? windowOf(settings.channelId, event, settings.digestWindowMs, now) : undefined;

    const alert = buildSlackAlert(event, ctx, settings);
    const plain = buildPlainAlert(event, ctx, settings);

    if (snapshot === undefined) {
      let ambiguous = false;
      if (coordination !== undefined && window !== undefined) {
        const admitted = yield* admit(
          coordination,
          window,
          event,
          settings.digestThreshold,
          settings.digestWindowMs,
        ).pipe(Effect.mapError(ledgerDown));
        if (admitted.digest) {
          return yield* deliverInDigest(coordination, window, event, admitted.position);
        }
        ambiguous = admitted.ambiguous;
      }
      const sent = yield* postMessage(
        settings.channelId,
        alert,
        plain,
        event,
        ctx,
        certainty(ctx, window, event, ambiguous),
      );
      return {
        sink: SLACK_SINK,
        ref: sent.ts,
        detail: {
          ...snapshotDetail(sent.channel, sent.ts, event),
          ...fallbackDetail(sent),
          ...(sent.adopted && { adopted: "found posted by an earlier attempt" }),
        },
      } satisfies Receipt;
    }

    // A follow-up's reply looks for an earlier attempt's reply when that attempt ended unsure.
    const followUpSure =
      coordination !== undefined && window !== undefined
        ? certainty(ctx, window, event, yield* wasAmbiguous(coordination, event.id).pipe(Effect.mapError(ledgerDown)))
        : certainty(ctx, window, event, false);

    // Follow-up on a case: rewrite the original first (idempotent), then reply in its thread (last,
    // because it is the one step that would repeat on a retry).
    // An out-of-order follow-up (a reactivation arriving after a later deactivation) leaves the original
    // alone: it shows a later state than this event. The reply still goes to the thread.
    // A case opened in a burst digest: the digest is not rewritten as one user's case; it marks the user.
    const digestKey = original?.detail?.digest;
    // An event whose date cannot be trusted does not change the case either.
    const superseded =
      ctx.supersededBy !== undefined || ctx.step?.timeliness === "future" || ctx.step?.timeliness === "undated";
    const update = buildCaseUpdate(snapshot, event, ctx, settings);
    const updated: OriginalUpdate =
      digestKey !== undefined
        ? yield* (
            coordination !== undefined && !superseded
              ? markInDigest(coordination, digestKey, ctx.case?.openedBy ?? snapshot.eventId, event)
              : Effect.void
          ).pipe(Effect.as(OriginalUpdate.InDigest()))
        : superseded
          ? OriginalUpdate.Skipped()
          : yield* write(
              "chat.update",
              { channel: snapshot.channel, ts: snapshot.ts, text: update.text, blocks: update.blocks },
              snapshot.channel,
              coordination,
              false,
            ).pipe(
              Effect.as(OriginalUpdate.Updated()),
              Effect.catchIf(
                (e) =>
                  e.failure === "permanent" && e.code !== undefined && (ORIGINAL_GONE.has(e.code) || isBlockError(e)),
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
      const sent = yield* postMessage(settings.channelId, alert, plain, event, ctx, followUpSure);
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
    const reply = yield* postMessage(snapshot.channel, alert, plain, event, ctx, followUpSure, snapshot.ts);
    return {
      sink: SLACK_SINK,
      ref: reply.ts,
      detail: {
        channel: reply.channel,
        ts: reply.ts,
        thread_ts: snapshot.ts,
        update: updateDetail(updated),
        ...fallbackDetail(reply),
        ...(reply.adopted && { adopted: "found posted by an earlier attempt" }),
      },
    } satisfies Receipt;
  });

  return { name: SLACK_SINK, deliver };
};
