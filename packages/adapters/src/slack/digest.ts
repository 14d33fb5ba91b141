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
 * Burst digests: the state of one digest window of one channel, kept in shared ledger records so every
 * writer (Lambda invocations, self-hosted workers) sees the same window. Windows are cut by the events'
 * Okta `published` time, so an event lands in the same window on every attempt. Within a window the
 * first `threshold` alerts are posted one by one; further alerts join the window's digest (one message,
 * rewritten while the burst lasts, with the complete list as a CSV in its thread once the window has
 * closed). When the previous window was a burst, every alert of this one joins its digest at once.
 *
 * Three kinds of record, all small, so that hundreds of writers can change them with compare-and-set:
 * - the window's head (`slack-window#<channel>#<start>`): counts, the digest's ts, who rewrites it now;
 * - each event's admission (`slack-admit#<event id>`): alone or in the digest, and where;
 * - the members, 25 to a chunk (`slack-window#<channel>#<start>#<n>`), each chunk remembering how many
 *   of its members the digest message has shown.
 */

/** How an event was admitted to its window: posted alone (`a`: an attempt may have posted it), or in the digest. */
export type Mode = "s" | "a" | "d";

/** One user in a digest. */
export interface DigestMember {
  readonly id: string;
  readonly kind: LifecycleKind;
  readonly published: string;
  readonly userId: string;
  readonly user: string;
  readonly login: string;
  readonly actor: string;
}

export interface WindowState {
  /** Alerts admitted to this window (alone or in the digest). */
  readonly count: number;
  /** Members of the digest (positions handed out). */
  readonly members: number;
  /** The digest message, once posted. */
  readonly ts?: string | undefined;
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
  /** Follow-ups of members (by the member's event id), shown at the next rewrite. */
  readonly followUps?: Readonly<Record<string, LifecycleKind>>;
}

interface Admission {
  readonly mode: Mode;
  /** The member's position in the digest. */
  readonly position?: number;
}

interface Chunk {
  readonly members: ReadonlyArray<DigestMember>;
  /** How many of `members` the digest message has shown. */
  readonly shown: number;
}

export const EMPTY_WINDOW: WindowState = { count: 0, members: 0, renderedAt: 0, final: false, leaseUntil: 0 };
const EMPTY_CHUNK: Chunk = { members: [], shown: 0 };
export const CHUNK_SIZE = 25;

/** How long window records are kept (a follow-up marks its user in the digest for this long). */
const WINDOW_TTL_MS = 7 * 86_400_000;
/** After a window's end, how long before its digest counts as closed (late deliveries from Okta). */
export const CLOSE_GRACE_MS = 2_000;
const MAX_ROUNDS = 80;

export interface Window {
  readonly channel: string;
  readonly start: number;
  readonly end: number;
  /** The head record's key. */
  readonly key: string;
}

export const windowKey = (channel: string, start: number) => `slack-window#${channel}#${start}`;
const chunkKey = (window: Window, n: number) => `${window.key}#${n}`;
const admissionKey = (eventId: string) => `slack-admit#${eventId}`;

/**
 * When the digest closes (its CSV is attached): after the window's end, and once no member has joined
 * for `quietMs` (a backlog of an old window is still gathered into one digest while it drains).
 */
export const closesAt = (window: Window, state: WindowState, quietMs: number): number =>
  Math.max(window.end + CLOSE_GRACE_MS, (state.lastJoinAt ?? 0) + quietMs);

/** The window an event belongs to: by its `published` time (now, when Okta's date is unusable). */
export const windowOf = (channel: string, event: OffboardingEvent, windowMs: number, now: number): Window => {
  const published = publishedMillis(event.occurredAt);
  const at = Number.isFinite(published) ? published : now;
  const start = Math.floor(at / windowMs) * windowMs;
  return { channel, start, end: start + windowMs, key: windowKey(channel, start) };
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

export const readWindow = (coordination: Coordination, window: Window) =>
  Effect.map(coordination.getShared(window.key), (r) => parse(r?.value, EMPTY_WINDOW));

export const updateWindow = <A>(
  coordination: Coordination,
  window: Window,
  f: (state: WindowState, now: number) => { readonly state: WindowState; readonly result: A } | { readonly keep: A },
) => update(coordination, window.key, EMPTY_WINDOW, f);

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
  readonly digest: boolean;
  /** Set for a single whose earlier attempt may have posted it: look before posting. */
  readonly ambiguous: boolean;
  readonly position?: number;
}

/** Puts the member into its chunk (idempotent). */
const placeMember = (coordination: Coordination, window: Window, position: number, member: DigestMember) =>
  update(coordination, chunkKey(window, Math.floor(position / CHUNK_SIZE)), EMPTY_CHUNK, (c) =>
    c.members.some((m) => m.id === member.id)
      ? { keep: undefined }
      : { state: { ...c, members: [...c.members, member] }, result: undefined },
  );

/**
 * Admits the event to its window (once: a later attempt finds its admission). `threshold` 0 means no
 * digests: every alert is posted alone (its admission still remembers ambiguous attempts).
 */
export const admit = Effect.fnUntraced(function* (
  coordination: Coordination,
  window: Window,
  event: OffboardingEvent,
  threshold: number,
  previousWindowKey: string,
) {
  const limit = threshold > 0 ? threshold : Number.POSITIVE_INFINITY;
  const known = yield* coordination.getShared(admissionKey(event.id));
  if (known !== undefined) {
    const a = parse<Admission>(known.value, { mode: "s" });
    if (a.mode === "d" && a.position !== undefined) {
      yield* placeMember(coordination, window, a.position, memberOf(event));
    }
    return {
      digest: a.mode === "d",
      ambiguous: a.mode === "a",
      ...(a.position !== undefined && { position: a.position }),
    } satisfies Admitted as Admitted;
  }
  let previousBurst = false;
  if (Number.isFinite(limit)) {
    const head = yield* readWindow(coordination, window);
    if (head.count < limit) {
      const previous = yield* coordination.getShared(previousWindowKey);
      previousBurst = parse(previous?.value, EMPTY_WINDOW).count > limit;
    }
  }
  const admitted = yield* updateWindow<Admitted>(coordination, window, (s, now) => {
    const digest = s.count >= limit || previousBurst;
    return {
      state: {
        ...s,
        count: s.count + 1,
        ...(digest && { members: s.members + 1, lastJoinAt: now }),
      },
      result: { digest, ambiguous: false, ...(digest && { position: s.members }) },
    };
  });
  const admission: Admission = {
    mode: admitted.digest ? "d" : "s",
    ...(admitted.position !== undefined && { position: admitted.position }),
  };
  yield* coordination.putShared(admissionKey(event.id), JSON.stringify(admission), undefined, WINDOW_TTL_MS);
  if (admitted.position !== undefined) yield* placeMember(coordination, window, admitted.position, memberOf(event));
  return admitted;
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

/** Every member placed so far, chunk by chunk, with each chunk's size at reading. */
export const readMembers = Effect.fnUntraced(function* (coordination: Coordination, window: Window, positions: number) {
  const chunks = Math.ceil(positions / CHUNK_SIZE);
  const read = yield* Effect.forEach(
    Array.from({ length: chunks }, (_, n) => n),
    (n) => Effect.map(coordination.getShared(chunkKey(window, n)), (r) => parse(r?.value, EMPTY_CHUNK)),
    { concurrency: 4 },
  );
  return read;
});

/** After a rewrite: each chunk has been shown up to the size it had when read. */
export const markShown = (coordination: Coordination, window: Window, sizes: ReadonlyArray<number>) =>
  Effect.forEach(
    sizes,
    (size, n) =>
      update(coordination, chunkKey(window, n), EMPTY_CHUNK, (c) =>
        c.shown >= size ? { keep: undefined } : { state: { ...c, shown: size }, result: undefined },
      ),
    { concurrency: 4, discard: true },
  );

/** Whether the member with this event id is among the shown members of its chunk. */
export const shownIn = (coordination: Coordination, window: Window, position: number, eventId: string) =>
  Effect.map(coordination.getShared(chunkKey(window, Math.floor(position / CHUNK_SIZE))), (r) => {
    const c = parse(r?.value, EMPTY_CHUNK);
    return c.members.slice(0, c.shown).some((m) => m.id === eventId);
  });

/** A follow-up of a member: the digest marks the user at its next rewrite. */
export const markFollowUp = (coordination: Coordination, window: Window, memberId: string, kind: LifecycleKind) =>
  updateWindow(coordination, window, (s) =>
    s.followUps?.[memberId] === kind
      ? { keep: undefined }
      : { state: { ...s, followUps: { ...s.followUps, [memberId]: kind } }, result: undefined },
  );

/** The window of a digest key (`slack-window#<channel>#<start>`), for a follow-up's receipt. */
export const windowFromKey = (key: string, windowMs: number): Window | undefined => {
  const m = /^slack-window#([^#]+)#(\d+)$/.exec(key);
  if (m === null) return undefined;
  const start = Number(m[2]);
  return { channel: m[1] ?? "", start, end: start + windowMs, key };
};

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
