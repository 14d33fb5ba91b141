import {
  type Coordination,
  type LedgerError,
  type LifecycleKind,
  type OffboardingEvent,
  personLabel,
  publishedMillis,
} from "@offboard/core";
import { Clock, Duration, Effect } from "effect";
import { clipMrkdwn, escapeMrkdwn, SLACK_LIMITS, type SlackBlock } from "./message.ts";

/**
 * Burst digests: the state of one digest window of one channel, kept in a shared ledger record so every
 * writer (Lambda invocations, self-hosted workers) sees the same window. Windows are cut by the events'
 * Okta `published` time, so an event lands in the same window on every attempt. Within a window the
 * first `threshold` alerts are posted one by one; further alerts join the window's digest (one message,
 * rewritten while the burst lasts, with the complete list as a CSV in its thread once the window has
 * closed). When the previous window was a burst, every alert of this one joins its digest at once.
 */

/** How an event was admitted to its window: posted alone, or joined the digest. */
export type Admission = "single" | "digest";

/**
 * The window's mark for each event admitted: `s` posted alone; `a` posted alone, but an attempt ended
 * after a failure where Slack may have posted it (the next attempt looks for it first); `d` in the digest.
 */
type Mark = "s" | "a" | "d";

/** One user in a digest. */
export interface DigestMember {
  readonly id: string;
  readonly kind: LifecycleKind;
  readonly published: string;
  readonly userId: string;
  readonly user: string;
  readonly login: string;
  readonly actor: string;
  /** A follow-up (reactivated, unsuspended) that arrived for this user after the digest named them. */
  readonly followUp?: LifecycleKind;
}

export interface WindowState {
  /** Alerts admitted to this window (alone or in the digest). */
  readonly count: number;
  readonly marks: Readonly<Record<string, Mark>>;
  readonly members: ReadonlyArray<DigestMember>;
  /** The digest message, once posted. */
  readonly ts?: string | undefined;
  /** How many members the digest message showed at its last rewrite. */
  readonly rendered: number;
  readonly renderedAt: number;
  /** The last rewrite came after the window closed and attached the CSV. */
  readonly final: boolean;
  /** Whoever rewrites the message holds this lease (epoch ms) and token. */
  readonly leaseUntil: number;
  readonly leaseToken?: string | undefined;
  /**
   * The event whose record waits for the window to close to attach the CSV (the last one to rewrite the
   * digest before it closed): as long as it is set, someone comes back for the final rewrite.
   */
  readonly duty?: string | undefined;
  /** When the last member joined (epoch ms): the digest closes once joins have stopped for a while. */
  readonly lastJoinAt?: number;
  /** The digest's first post may have reached Slack without our knowing its ts: look it up first. */
  readonly posting?: boolean;
}

export const EMPTY_WINDOW: WindowState = {
  count: 0,
  marks: {},
  members: [],
  rendered: 0,
  renderedAt: 0,
  final: false,
  leaseUntil: 0,
};

/** How long window records are kept (a follow-up marks its user in the digest for this long). */
const WINDOW_TTL_MS = 7 * 86_400_000;
/** After a window's end, how long before its digest counts as closed (late deliveries from Okta). */
export const CLOSE_GRACE_MS = 2_000;

/**
 * When the digest closes (its CSV is attached): after the window's end, and once no member has joined
 * for `quietMs` (a backlog of an old window is still gathered into one digest while it drains).
 */
export const closesAt = (window: Window, state: WindowState, quietMs: number): number =>
  Math.max(window.end + CLOSE_GRACE_MS, (state.lastJoinAt ?? 0) + quietMs);
const MAX_ROUNDS = 80;

export interface Window {
  readonly channel: string;
  readonly start: number;
  readonly end: number;
  /** The shared record's key. */
  readonly key: string;
}

export const windowKey = (channel: string, start: number) => `slack-window#${channel}#${start}`;

/** The window an event belongs to: by its `published` time (now, when Okta's date is unusable). */
export const windowOf = (channel: string, event: OffboardingEvent, windowMs: number, now: number): Window => {
  const published = publishedMillis(event.occurredAt);
  const at = Number.isFinite(published) ? published : now;
  const start = Math.floor(at / windowMs) * windowMs;
  return { channel, start, end: start + windowMs, key: windowKey(channel, start) };
};

const parse = (value: string | undefined): WindowState => {
  if (value === undefined) return EMPTY_WINDOW;
  try {
    return { ...EMPTY_WINDOW, ...(JSON.parse(value) as Partial<WindowState>) };
  } catch {
    return EMPTY_WINDOW;
  }
};

export const readWindow = (coordination: Coordination, key: string) =>
  Effect.map(coordination.getShared(key), (r) => ({ state: parse(r?.value), version: r?.version }));

const backoff = (round: number) =>
  Effect.sleep(Duration.millis(Math.floor(Math.random() * Math.min(60, 5 + round * 3))));

/**
 * Read-modify-write of a window with compare-and-set. `f` returns the new state and a result, or
 * `undefined` to leave the record as it is (then `keep` gives the result).
 */
export const updateWindow = <A>(
  coordination: Coordination,
  key: string,
  f: (state: WindowState, now: number) => { readonly state: WindowState; readonly result: A } | { readonly keep: A },
): Effect.Effect<A, LedgerError> =>
  Effect.gen(function* () {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = yield* Clock.currentTimeMillis;
      const { state, version } = yield* readWindow(coordination, key);
      const next = f(state, now);
      if ("keep" in next) return next.keep;
      if (yield* coordination.putShared(key, JSON.stringify(next.state), version, WINDOW_TTL_MS)) return next.result;
      yield* backoff(round);
    }
    return yield* Effect.die(new Error(`digest window ${key} kept changing under ${MAX_ROUNDS} tries`));
  });

export const memberOf = (event: OffboardingEvent): DigestMember => ({
  id: event.id,
  kind: event.kind,
  published: event.occurredAt,
  userId: event.subject.id,
  user: event.subject.displayName ?? "",
  login: event.subject.login ?? event.subject.id,
  actor: personLabel(event.actor),
});

export interface Admitted {
  readonly admission: Admission;
  /** Set for a single whose earlier attempt may have posted it: look before posting. */
  readonly ambiguous: boolean;
}

/**
 * Admits the event to its window (once: a later attempt finds its mark). `threshold` 0 means no
 * digests: every alert is posted alone (the window still remembers ambiguous attempts).
 */
export const admit = Effect.fnUntraced(function* (
  coordination: Coordination,
  window: Window,
  event: OffboardingEvent,
  threshold: number,
  previousWindowKey: string,
) {
  const limit = threshold > 0 ? threshold : Number.POSITIVE_INFINITY;
  // Whether the previous window was a burst, read once (only when it could matter).
  let previousBurst: boolean | undefined;
  for (;;) {
    const { state } = yield* readWindow(coordination, window.key);
    const mark = state.marks[event.id];
    if (mark !== undefined) {
      return { admission: mark === "d" ? "digest" : "single", ambiguous: mark === "a" } satisfies Admitted;
    }
    if (previousBurst === undefined && state.count < limit && Number.isFinite(limit)) {
      const previous = yield* readWindow(coordination, previousWindowKey);
      previousBurst = previous.state.count > limit;
    }
    const result = yield* updateWindow<Admitted | "again">(coordination, window.key, (s, now) => {
      if (s.marks[event.id] !== undefined) return { keep: "again" };
      const digest = s.count >= limit || previousBurst === true;
      return {
        state: {
          ...s,
          count: s.count + 1,
          marks: { ...s.marks, [event.id]: digest ? "d" : "s" },
          members: digest ? [...s.members, memberOf(event)] : s.members,
          ...(digest && { lastJoinAt: now }),
        },
        result: { admission: digest ? "digest" : "single", ambiguous: false },
      };
    });
    if (result !== "again") return result;
  }
});

/** Marks a single as possibly posted (an attempt failed where Slack may have acted), or clean again. */
export const markSingle = (coordination: Coordination, key: string, eventId: string, ambiguous: boolean) =>
  updateWindow(coordination, key, (s) =>
    s.marks[eventId] === (ambiguous ? "a" : "s")
      ? { keep: undefined }
      : { state: { ...s, marks: { ...s.marks, [eventId]: ambiguous ? "a" : "s" } }, result: undefined },
  );

// ── What the digest says ──────────────────────────────────────────────────────────────────────────

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

const counted = (items: ReadonlyArray<string>): Array<[string, number]> => {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
};

/** The largest number of name sections a digest carries (Slack allows 50 blocks a message). */
const NAME_SECTIONS = 40;
const NAME_MAX = 120;

export const csvFileName = (window: Window) =>
  `offboard-burst-${window.channel}-${new Date(window.start).toISOString().slice(0, 16).replace(/[:]/g, "")}Z.csv`;

/** The digest message: counts by kind, who acted, the users by name, where the complete list is. */
export const buildDigest = (
  window: Window,
  members: ReadonlyArray<DigestMember>,
  closed: boolean,
): { readonly text: string; readonly blocks: ReadonlyArray<SlackBlock> } => {
  const span = `${hhmm(window.start)}–${hhmm(window.end)} UTC`;
  const title = `Offboarding burst: ${members.length} more alert${members.length === 1 ? "" : "s"} ${span}`;
  const kinds = counted(members.map((m) => m.kind))
    .map(([k, n]) => `${n} ${k}`)
    .join(" · ");
  const actors = counted(members.map((m) => m.actor))
    .slice(0, 5)
    .map(([a, n]) => `${escapeMrkdwn(a)} (${n})`)
    .join(", ");
  const followUps = members.filter((m) => m.followUp !== undefined);
  const blocks: Array<SlackBlock> = [
    { type: "header", text: { type: "plain_text", text: clipMrkdwn(title, SLACK_LIMITS.header) } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: clipMrkdwn(
          `*By kind:* ${kinds}\n*By:* ${actors}${
            followUps.length > 0 ? `\n*Since followed up:* ${followUps.length} (marked below)` : ""
          }`,
          SLACK_LIMITS.text,
        ),
      },
    },
  ];
  // Every user by name, as many sections as Slack allows; the CSV has them all in any case.
  let shown = 0;
  let section = "";
  const flush = () => {
    if (section.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: section } });
    section = "";
  };
  for (const m of members) {
    const name = clipMrkdwn(
      escapeMrkdwn(m.user.length > 0 && m.user !== m.login ? `${m.user} (${m.login})` : m.login),
      NAME_MAX,
    );
    const line = `• ${name} — ${m.kind}${m.followUp !== undefined ? ` → *${m.followUp}*` : ""}`;
    if (section.length + line.length + 1 > SLACK_LIMITS.text - 100) {
      if (blocks.length - 2 >= NAME_SECTIONS - 1) break;
      flush();
    }
    section = section.length === 0 ? line : `${section}\n${line}`;
    shown += 1;
  }
  flush();
  const more = members.length - shown;
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: `${more > 0 ? `…and ${more} more. ` : ""}${
          closed
            ? `The complete list is in the thread: \`${csvFileName(window)}\`.`
            : "Updated while the burst lasts; the complete list follows in the thread as a CSV when the window closes."
        } Alerts beyond the first of the window are gathered here to stay within Slack's rate limits.`,
      },
    ],
  });
  return { text: `${title}: ${kinds}`, blocks };
};

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
const cell = (v: string): string => {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The complete list, one row per member. */
export const digestCsv = (members: ReadonlyArray<DigestMember>): string =>
  [
    "okta_event_id,kind,published,user_id,user,login,actor,follow_up",
    ...members.map((m) =>
      [m.id, m.kind, m.published, m.userId, m.user, m.login, m.actor, m.followUp ?? ""].map(cell).join(","),
    ),
  ].join("\r\n");
