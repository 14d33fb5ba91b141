import {
  type Coordination,
  LedgerError,
  type LifecycleKind,
  type OffboardingEvent,
  personLabel,
  publishedMillis,
} from "@offboard/core";
import { Clock, Duration, Effect } from "effect";
import { clipMrkdwn, escapeMrkdwn, SLACK_LIMITS, type SlackBlock } from "./message.ts";

/**
 * Burst digests: the state of one digest window of one channel, kept in the ledger so every writer
 * (Lambda invocations, self-hosted workers) sees the same window. Windows are cut by the events' Okta
 * `published` time, so an event lands in the same window on every attempt. Within a window the first
 * `threshold` alerts are posted one by one; further alerts join the window's digest (one message,
 * rewritten while the burst lasts, with the complete list as a CSV in its thread once the window has
 * closed). When the previous window was a burst, every alert of this one joins its digest at once.
 *
 * Three records, so that hundreds of writers never retry each other:
 * - the window's alerts, a shared list (`slack-window#<channel>#<start>`): each alert appends itself
 *   once and its position decides whether it is posted alone (the first `threshold`) or digested;
 * - each event's admission (`slack-admit#<event id>`): its position and mode, for its later attempts;
 * - the digest's head (`slack-digest#<channel>#<start>`), changed only by whoever rewrites the message:
 *   its ts, how many positions it has shown, who rewrites it now.
 */

/** How an event was admitted to its window: posted alone (`a`: an attempt may have posted it), or in the digest. */
export type Mode = "s" | "a" | "d";

/** One alert of a window, as its list keeps it. */
export interface DigestMember {
  readonly id: string;
  readonly kind: LifecycleKind;
  readonly published: string;
  readonly userId: string;
  readonly user: string;
  readonly login: string;
  readonly actor: string;
  /** When it joined (epoch ms). */
  readonly at: number;
}

export interface DigestHead {
  /** The digest message, once posted. */
  readonly ts?: string | undefined;
  /** The list positions the message has shown: every position below this one but those in `missing`. */
  readonly shown: number;
  /**
   * Positions below `shown` whose alert was not stored yet when the message was last rewritten (a
   * writer between taking its position and storing its alert, or one that crashed there).
   */
  readonly missing?: ReadonlyArray<number>;
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
  /** When the last alert joined, as far as the last rewrite saw. */
  readonly lastJoinAt?: number;
  /** The digest's first post may have reached Slack without our knowing its ts: look it up first. */
  readonly posting?: boolean;
  /** Follow-ups of members (by the member's event id), shown at the next rewrite. */
  readonly followUps?: Readonly<Record<string, LifecycleKind>>;
}

interface Admission {
  readonly mode: Mode;
  readonly position?: number;
}

export const EMPTY_HEAD: DigestHead = { shown: 0, renderedAt: 0, final: false, leaseUntil: 0 };

/** How long window records are kept (a follow-up marks its user in the digest for this long). */
const WINDOW_TTL_MS = 7 * 86_400_000;
/** After a window's end, how long before its digest counts as closed (late deliveries from Okta). */
export const CLOSE_GRACE_MS = 2_000;
/** The digest closes once no alert has joined for this long (or the update interval, if shorter). */
export const CLOSE_QUIET_MS = 10_000;
const MAX_ROUNDS = 80;

export interface Window {
  readonly channel: string;
  readonly start: number;
  readonly end: number;
  /** The window's list of alerts. */
  readonly key: string;
  /** The digest's head record. */
  readonly head: string;
}

export const windowKey = (channel: string, start: number) => `slack-window#${channel}#${start}`;
const windowAt = (channel: string, start: number, windowMs: number): Window => ({
  channel,
  start,
  end: start + windowMs,
  key: windowKey(channel, start),
  head: `slack-digest#${channel}#${start}`,
});
const admissionKey = (eventId: string) => `slack-admit#${eventId}`;

/**
 * When the digest closes (its CSV is attached): after the window's end, and once no alert has joined
 * for `quietMs` (a backlog of an old window is still gathered into one digest while it drains).
 */
export const closesAt = (window: Window, lastJoinAt: number | undefined, quietMs: number): number =>
  Math.max(window.end + CLOSE_GRACE_MS, (lastJoinAt ?? 0) + Math.min(quietMs, CLOSE_QUIET_MS));

/** The window an event belongs to: by its `published` time (now, when Okta's date is unusable). */
export const windowOf = (channel: string, event: OffboardingEvent, windowMs: number, now: number): Window => {
  const published = publishedMillis(event.occurredAt);
  const at = Number.isFinite(published) ? published : now;
  return windowAt(channel, Math.floor(at / windowMs) * windowMs, windowMs);
};

/** The window of a digest (a receipt's `detail.digest`, the window's key). */
export const windowFromKey = (key: string, windowMs: number): Window | undefined => {
  const m = /^slack-window#([^#]+)#(\d+)$/.exec(key);
  return m === null ? undefined : windowAt(m[1] ?? "", Number(m[2]), windowMs);
};

const parse = <A>(value: string | undefined, empty: A): A => {
  if (value === undefined) return empty;
  try {
    return { ...empty, ...(JSON.parse(value) as Partial<A>) };
  } catch {
    return empty;
  }
};

const backoff = (round: number) =>
  Effect.sleep(Duration.millis(Math.floor(Math.random() * Math.min(60, 5 + round * 3))));

/**
 * Read-modify-write of a shared JSON record with compare-and-set. `f` returns the new value and a
 * result, or `{ keep }` to leave the record as it is.
 */
const update = <S, A>(
  coordination: Coordination,
  key: string,
  empty: S,
  f: (state: S, now: number) => { readonly state: S; readonly result: A } | { readonly keep: A },
): Effect.Effect<A, LedgerError> =>
  Effect.gen(function* () {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = yield* Clock.currentTimeMillis;
      const current = yield* coordination.getShared(key);
      const next = f(parse(current?.value, empty), now);
      if ("keep" in next) return next.keep;
      if (yield* coordination.putShared(key, JSON.stringify(next.state), current?.version, WINDOW_TTL_MS)) {
        return next.result;
      }
      yield* backoff(round);
    }
    return yield* Effect.fail(
      new LedgerError({ message: `shared record ${key} kept changing under ${MAX_ROUNDS} tries` }),
    );
  });

export const readHead = (coordination: Coordination, window: Window) =>
  Effect.map(coordination.getShared(window.head), (r) => parse(r?.value, EMPTY_HEAD));

export const updateHead = <A>(
  coordination: Coordination,
  window: Window,
  f: (state: DigestHead, now: number) => { readonly state: DigestHead; readonly result: A } | { readonly keep: A },
) => update(coordination, window.head, EMPTY_HEAD, f);

export const memberOf = (event: OffboardingEvent, at: number): DigestMember => ({
  id: event.id,
  kind: event.kind,
  published: event.occurredAt,
  userId: event.subject.id,
  user: event.subject.displayName ?? "",
  login: event.subject.login ?? event.subject.id,
  actor: personLabel(event.actor),
  at,
});

export interface Admitted {
  readonly digest: boolean;
  /** Set for a single whose earlier attempt may have posted it: look before posting. */
  readonly ambiguous: boolean;
  readonly position: number;
}

/** Whether the window before this one was a burst (more alerts than `limit`). */
const burstBefore = (coordination: Coordination, window: Window, windowMs: number, limit: number) =>
  Effect.map(coordination.listShared(windowKey(window.channel, window.start - windowMs)), (list) => list.size > limit);

/**
 * Admits the event to its window (once: a later attempt finds its admission). `threshold` 0 means no
 * digests: every alert is posted alone (its admission still remembers ambiguous attempts).
 */
export const admit = Effect.fnUntraced(function* (
  coordination: Coordination,
  window: Window,
  event: OffboardingEvent,
  threshold: number,
  windowMs: number,
) {
  const known = yield* coordination.getShared(admissionKey(event.id));
  if (known !== undefined) {
    const a = parse<Admission>(known.value, { mode: "s" });
    return { digest: a.mode === "d", ambiguous: a.mode === "a", position: a.position ?? -1 } satisfies Admitted;
  }
  const now = yield* Clock.currentTimeMillis;
  const position = yield* coordination.appendShared(window.key, JSON.stringify(memberOf(event, now)), WINDOW_TTL_MS);
  const digest =
    threshold > 0 && (position >= threshold || (yield* burstBefore(coordination, window, windowMs, threshold)));
  const admission: Admission = { mode: digest ? "d" : "s", position };
  yield* coordination.putShared(admissionKey(event.id), JSON.stringify(admission), undefined, WINDOW_TTL_MS);
  return { digest, ambiguous: false, position } satisfies Admitted;
});

/** Marks a single as possibly posted (an attempt failed where Slack may have acted). */
export const markAmbiguous = (coordination: Coordination, eventId: string) =>
  update<Admission, void>(coordination, admissionKey(eventId), { mode: "s" }, (a) =>
    a.mode === "a" ? { keep: undefined } : { state: { ...a, mode: "a" }, result: undefined },
  );

/** Whether an earlier attempt of this event ended unsure whether Slack posted it. */
export const wasAmbiguous = (coordination: Coordination, eventId: string) =>
  Effect.map(
    coordination.getShared(admissionKey(eventId)),
    (r) => parse<Admission>(r?.value, { mode: "s" }).mode === "a",
  );

/**
 * The digest's members now: the window's alerts beyond the first `threshold` (all of them after a
 * burst window), each once; `size` is the positions handed out, `missing` those below it whose
 * alert is not stored (yet).
 */
export const readMembers = Effect.fnUntraced(function* (
  coordination: Coordination,
  window: Window,
  threshold: number,
  windowMs: number,
) {
  const list = yield* coordination.listShared(window.key);
  const all = list.items.map((i) => ({
    position: i.position,
    member: parse<DigestMember | undefined>(i.item, undefined),
  }));
  const present = new Set(all.map((i) => i.position));
  const size = Math.max(list.size, ...all.map((i) => i.position + 1));
  const missing: Array<number> = [];
  for (let p = 0; p < size; p++) if (!present.has(p)) missing.push(p);
  const first = (yield* burstBefore(coordination, window, windowMs, threshold)) ? 0 : threshold;
  const seen = new Set<string>();
  const members: Array<DigestMember> = [];
  for (const { position, member } of all) {
    if (position < first || member === undefined || seen.has(member.id)) continue;
    seen.add(member.id);
    members.push(member);
  }
  const lastJoinAt = all.reduce((t, i) => Math.max(t, i.member?.at ?? 0), 0);
  return { members, size, missing, lastJoinAt };
});

/** Whether the digest message has shown the alert at `position`. */
export const hasShown = (head: DigestHead, position: number): boolean =>
  head.ts !== undefined && position < head.shown && !(head.missing ?? []).includes(position);

/** A follow-up of a member: the digest marks the user at its next rewrite. */
export const markFollowUp = (coordination: Coordination, window: Window, memberId: string, kind: LifecycleKind) =>
  updateHead(coordination, window, (s) =>
    s.followUps?.[memberId] === kind
      ? { keep: undefined }
      : { state: { ...s, followUps: { ...s.followUps, [memberId]: kind } }, result: undefined },
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
  followUps: Readonly<Record<string, LifecycleKind>> = {},
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
  const followedUp = members.filter((m) => followUps[m.id] !== undefined);
  const blocks: Array<SlackBlock> = [
    { type: "header", text: { type: "plain_text", text: clipMrkdwn(title, SLACK_LIMITS.header) } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: clipMrkdwn(
          `*By kind:* ${kinds}\n*By:* ${actors}${
            followedUp.length > 0 ? `\n*Since followed up:* ${followedUp.length} (marked below)` : ""
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
    const followUp = followUps[m.id];
    const line = `• ${name} — ${m.kind}${followUp !== undefined ? ` → *${followUp}*` : ""}`;
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
export const digestCsv = (
  members: ReadonlyArray<DigestMember>,
  followUps: Readonly<Record<string, LifecycleKind>> = {},
): string =>
  [
    "okta_event_id,kind,published,user_id,user,login,actor,follow_up",
    ...members.map((m) =>
      [m.id, m.kind, m.published, m.userId, m.user, m.login, m.actor, followUps[m.id] ?? ""].map(cell).join(","),
    ),
  ].join("\r\n");
