import { type Coordination, LedgerError } from "@offboard/core";
import { Clock, Duration, Effect } from "effect";

/**
 * Shared pacing: one rate per key (a Slack channel, a Jira site) for every writer on the same ledger
 * (every Lambda invocation, every self-hosted worker), as a generic cell rate algorithm over one shared
 * record. The record holds the theoretical arrival time `tat`; a writer reserves the next slot with a
 * compare-and-set and then waits for it. With `burst` b, up to b calls may go at once after a quiet
 * spell; after that one per `intervalMs`.
 */

export interface Pace {
  readonly intervalMs: number;
  readonly burst: number;
}

export type Slot =
  /** Go after `waitMs` (0: at once). The slot is reserved. */
  | { readonly _tag: "Slot"; readonly waitMs: number }
  /** The next slot is further away than the caller may wait: nothing was reserved. */
  | { readonly _tag: "TooLong"; readonly waitMs: number };

/** How long a pacing record is kept after its last write. */
const PACE_TTL_MS = 3_600_000;
/** Compare-and-set rounds before giving up (each loses only to another writer's success). */
const MAX_ROUNDS = 60;

const tatOf = (value: string | undefined): number => {
  if (value === undefined) return 0;
  try {
    const tat = (JSON.parse(value) as { tat?: unknown }).tat;
    return typeof tat === "number" && Number.isFinite(tat) ? tat : 0;
  } catch {
    return 0;
  }
};

/** A short random pause after losing a compare-and-set, so contenders spread out. */
const backoff = (round: number) =>
  Effect.sleep(Duration.millis(Math.floor(Math.random() * Math.min(50, 5 + round * 5))));

const contended = (key: string): LedgerError =>
  new LedgerError({ message: `pacing record ${key} kept changing under ${MAX_ROUNDS} tries` });

/** Reserves the next slot on `key` unless it is more than `maxWaitMs` away. */
export const reserveSlot = Effect.fnUntraced(function* (
  coordination: Coordination,
  key: string,
  pace: Pace,
  maxWaitMs: number,
) {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = yield* Clock.currentTimeMillis;
    const current = yield* coordination.getShared(key);
    const tat = tatOf(current?.value);
    const at = Math.max(now, tat - (pace.burst - 1) * pace.intervalMs);
    const waitMs = at - now;
    if (waitMs > maxWaitMs) return { _tag: "TooLong", waitMs } satisfies Slot as Slot;
    const next = Math.max(tat, now) + pace.intervalMs;
    if (yield* coordination.putShared(key, JSON.stringify({ tat: next }), current?.version, PACE_TTL_MS)) {
      return { _tag: "Slot", waitMs } satisfies Slot as Slot;
    }
    yield* backoff(round);
  }
  return yield* Effect.fail(contended(key));
});

/** Waits for a slot on `key`; hands back the wait instead when it is longer than `maxWaitMs`. */
export const paced = <A, E, R>(
  coordination: Coordination | undefined,
  key: string,
  pace: Pace,
  maxWaitMs: number,
  call: Effect.Effect<A, E, R>,
  tooLong: (waitMs: number) => E,
  ledgerDown: (e: LedgerError) => E,
): Effect.Effect<A, E, R> =>
  coordination === undefined
    ? call
    : reserveSlot(coordination, key, pace, maxWaitMs).pipe(
        Effect.mapError(ledgerDown),
        Effect.flatMap((slot) =>
          slot._tag === "TooLong"
            ? Effect.fail(tooLong(slot.waitMs))
            : Effect.andThen(slot.waitMs > 0 ? Effect.sleep(Duration.millis(slot.waitMs)) : Effect.void, call),
        ),
      );

/**
 * After the vendor answered 429 with Retry-After: no writer on `key` starts before `until` (epoch ms).
 * Best effort: a failure here only means another writer may meet the same 429.
 */
export const holdOff = (coordination: Coordination | undefined, key: string, pace: Pace, until: number) =>
  coordination === undefined
    ? Effect.void
    : Effect.gen(function* () {
        for (let round = 0; round < 10; round++) {
          const current = yield* coordination.getShared(key);
          const tat = tatOf(current?.value);
          const wanted = until + (pace.burst - 1) * pace.intervalMs;
          if (tat >= wanted) return;
          if (yield* coordination.putShared(key, JSON.stringify({ tat: wanted }), current?.version, PACE_TTL_MS)) {
            return;
          }
        }
      }).pipe(Effect.ignore);
