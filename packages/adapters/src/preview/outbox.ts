import { appendFileSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import {
  type HrisStatus,
  hrisLine,
  type LifecycleKind,
  type Person,
  type Receipt,
  type Sink,
  SinkError,
  type Superseded,
} from "@offboard/core";
import { Clock, Effect } from "effect";

/**
 * The "outbox" sink: appends one JSON line per routed event to a local file (default
 * `.offboard/outbox.jsonl`), for scripts and audits that want the routed events without a vendor in
 * between. Each line is written with one append call on a file opened in append mode, so concurrent
 * writers never interleave lines. The event only carries ids, logins and names: no secret reaches a line.
 */

export const DEFAULT_OUTBOX_PATH = ".offboard/outbox.jsonl";

/** Where the outbox sink appends its JSON Lines. */
export interface OutboxOptions {
  /** The JSON Lines file (created with its directory when missing). */
  readonly path?: string;
}

/** One line of the outbox. */
export interface OutboxEntry {
  /** When the line was written (ISO-8601, from effect's Clock). */
  readonly deliveredAt: string;
  /** The Okta event uuid. */
  readonly eventId: string;
  readonly kind: LifecycleKind;
  readonly eventType: string;
  /** Okta's `published`, as sent. */
  readonly occurredAt: string;
  readonly subject: Person;
  readonly actor: Person;
  readonly reason?: string;
  /** The HR cross-check: its result (`NotChecked`, `Unavailable`, `NotFound`, `Agrees`, `Drift`) and line. */
  readonly hris: { readonly status: HrisStatus["_tag"]; readonly line: string };
  /** The case this event belongs to, when an earlier event opened one: its opening event and receipts. */
  readonly caseRef?: {
    readonly openedBy: string;
    readonly openedKind: LifecycleKind;
    readonly receipts: Readonly<Record<string, string>>;
  };
  /** True for follow-ups (unsuspended, reactivated) of an earlier event. */
  readonly followUp: boolean;
  /**
   * Set when this event arrived after a later event of the same user had been applied (Okta delivers
   * out of order): that later event's kind, uuid and time. The user's current state is the later one.
   */
  readonly supersededBy?: Superseded;
}

/** Errors the file system may recover from by itself; everything else needs an operator. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "ENOSPC", "EINTR"]);

const fileError = (path: string, cause: unknown) => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new SinkError({
    sink: "outbox",
    failure: code !== undefined && TRANSIENT_CODES.has(code) ? "transient" : "permanent",
    message: `cannot append to the outbox ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
    ...(code !== undefined && { code }),
    cause,
  });
};

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
};

/**
 * The outbox sink. Its receipt is `{ sink: "outbox", ref: "outbox:<byte offset of the line>" }` with
 * `detail.path` naming the file.
 */
export const outboxSink = (options: OutboxOptions = {}): Sink => {
  const path = options.path ?? DEFAULT_OUTBOX_PATH;
  let dirReady = false;
  return {
    name: "outbox",
    deliver: (event, context) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const entry: OutboxEntry = {
          deliveredAt: new Date(now).toISOString(),
          eventId: event.id,
          kind: event.kind,
          eventType: event.eventType,
          occurredAt: event.occurredAt,
          subject: event.subject,
          actor: event.actor,
          ...(event.reason !== undefined && { reason: event.reason }),
          hris: { status: context.hris._tag, line: hrisLine(context.hris) },
          ...(context.case !== undefined && {
            caseRef: {
              openedBy: context.case.openedBy,
              openedKind: context.case.openedKind,
              receipts: Object.fromEntries(Object.entries(context.case.receipts).map(([k, r]) => [k, r.ref])),
            },
          }),
          followUp: context.followUp,
          ...(context.supersededBy !== undefined && { supersededBy: context.supersededBy }),
        };
        const line = `${JSON.stringify(entry)}\n`;
        const offset = yield* Effect.try({
          try: () => {
            if (!dirReady) {
              mkdirSync(dirname(path), { recursive: true });
              dirReady = true;
            }
            const offset = sizeOf(path);
            appendFileSync(path, line, { encoding: "utf8", flag: "a" });
            return offset;
          },
          catch: (cause) => fileError(path, cause),
        });
        return { sink: "outbox", ref: `outbox:${offset}`, detail: { path } } satisfies Receipt;
      }),
  };
};
