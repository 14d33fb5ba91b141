/**
 * Part 1: decode + decide throughput. 100k EventBridge envelopes (JSON text, 30% lifecycle) through
 * `decodeText` and `decideBody`, against `JSON.parse` of the same strings in the same process, the three
 * interleaved chunk by chunk; plus mitata per-event micro benchmarks.
 */
import { DEFAULT_POLICY, decideBody, decodeText } from "@offboard/core";
import { do_not_optimize, measure } from "mitata";
import { envelopeStream } from "./fixtures.ts";
import { gc } from "./gc.ts";

export interface ThroughputResult {
  readonly events: number;
  readonly lifecycleShare: number;
  readonly bytes: { readonly total: number; readonly min: number; readonly median: number; readonly max: number };
  /** Passes over all events per kind. */
  readonly rounds: number;
  readonly chunkSize: number;
  /** Every pass over every chunk: total ms and events/s. */
  readonly pass: {
    readonly jsonParse: { readonly totalMs: number; readonly eventsPerSec: number };
    readonly decodeText: { readonly totalMs: number; readonly eventsPerSec: number };
    readonly decideBody: { readonly totalMs: number; readonly eventsPerSec: number };
  };
  /** Median over (round, chunk) of decideBody time / JSON.parse time on the same strings (budget: at most 3). */
  readonly ratio: number;
  /** Total decideBody time / total JSON.parse time. */
  readonly aggregateRatio: number;
  readonly pairedRatioRange: { readonly min: number; readonly max: number };
  /** Median paired ratio of decodeText (decode only) to JSON.parse. */
  readonly decodeRatio: number;
  /** mitata per-event micro benchmarks, nanoseconds per event (p50 of batches). */
  readonly perEventNs: { readonly jsonParse: number; readonly decodeText: number; readonly decideBody: number };
  readonly budget: { readonly maxRatio: number; readonly met: boolean };
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const runThroughput = async (o: { events?: number; rounds?: number } = {}): Promise<ThroughputResult> => {
  const events = o.events ?? 100_000;
  const rounds = o.rounds ?? 3;
  const lifecycleShare = 0.3;
  const bodies = envelopeStream({ count: events, lifecycleShare, seed: 7 });
  const sizes = bodies.map((b) => Buffer.byteLength(b)).sort((a, b) => a - b);

  // Sanity: the decider must see what the generator made, or the figure means nothing.
  let routed = 0;
  for (const b of bodies) for (const d of decideBody(b, DEFAULT_POLICY)) if (d.decision._tag === "Route") routed++;
  if (Math.abs(routed / events - lifecycleShare) > 0.02) {
    throw new Error(`expected about ${lifecycleShare * 100}% routed events, got ${routed}/${events}`);
  }

  // Passes over chunks of 10k strings, the three kinds interleaved chunk by chunk (order rotating), so
  // load changes on a shared machine hit all three alike; each (round, chunk) gives one paired ratio.
  const chunkSize = Math.min(10_000, events);
  const chunks: Array<ReadonlyArray<string>> = [];
  for (let i = 0; i < events; i += chunkSize) chunks.push(bodies.slice(i, i + chunkSize));
  const kinds = ["jsonParse", "decodeText", "decideBody"] as const;
  type Kind = (typeof kinds)[number];
  const pass: Record<Kind, (xs: ReadonlyArray<string>) => void> = {
    jsonParse: (xs) => {
      for (let i = 0; i < xs.length; i++) do_not_optimize(JSON.parse(xs[i]!));
    },
    decodeText: (xs) => {
      for (let i = 0; i < xs.length; i++) do_not_optimize(decodeText(xs[i]!));
    },
    decideBody: (xs) => {
      for (let i = 0; i < xs.length; i++) do_not_optimize(decideBody(xs[i]!, DEFAULT_POLICY));
    },
  };
  const orders: ReadonlyArray<ReadonlyArray<Kind>> = [
    ["jsonParse", "decodeText", "decideBody"],
    ["decideBody", "jsonParse", "decodeText"],
    ["decodeText", "decideBody", "jsonParse"],
    ["decideBody", "decodeText", "jsonParse"],
    ["jsonParse", "decideBody", "decodeText"],
    ["decodeText", "jsonParse", "decideBody"],
  ];
  const totalMs: Record<Kind, number> = { jsonParse: 0, decodeText: 0, decideBody: 0 };
  const paired: Record<"decideBody" | "decodeText", Array<number>> = { decideBody: [], decodeText: [] };
  const opts = { min_samples: 1, max_samples: 1, warmup_samples: 0, min_cpu_time: 0, gc } as const;
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    for (const chunk of chunks) {
      const ms = {} as Record<Kind, number>;
      for (const k of orders[turn++ % orders.length]!) {
        const stats = await measure(() => pass[k](chunk), opts);
        ms[k] = stats.avg / 1e6;
        totalMs[k] += ms[k];
      }
      paired.decideBody.push(ms.decideBody / ms.jsonParse);
      paired.decodeText.push(ms.decodeText / ms.jsonParse);
    }
  }
  const measured = events * rounds;
  const passFigures = Object.fromEntries(
    kinds.map((k) => [k, { totalMs: round(totalMs[k], 0), eventsPerSec: Math.round(measured / (totalMs[k] / 1000)) }]),
  ) as ThroughputResult["pass"];

  // Per-event micro benchmarks over a rotating window of the same strings.
  const perEvent = async (f: (s: string) => unknown) => {
    let i = 0;
    const stats = await measure(() => {
      i = i + 1 === bodies.length ? 0 : i + 1;
      do_not_optimize(f(bodies[i]!));
    });
    return round(stats.p50, 0);
  };
  const perEventNs = {
    jsonParse: await perEvent((s) => JSON.parse(s)),
    decodeText: await perEvent((s) => decodeText(s)),
    decideBody: await perEvent((s) => decideBody(s, DEFAULT_POLICY)),
  };

  const ratio = round(median(paired.decideBody), 2);
  return {
    events,
    lifecycleShare,
    bytes: {
      total: sizes.reduce((a, b) => a + b, 0),
      min: sizes[0]!,
      median: median(sizes),
      max: sizes[sizes.length - 1]!,
    },
    rounds,
    chunkSize,
    pass: passFigures,
    ratio,
    aggregateRatio: round(totalMs.decideBody / totalMs.jsonParse, 2),
    pairedRatioRange: { min: round(Math.min(...paired.decideBody), 2), max: round(Math.max(...paired.decideBody), 2) },
    decodeRatio: round(median(paired.decodeText), 2),
    perEventNs,
    budget: { maxRatio: 3, met: ratio <= 3 },
  };
};

export const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
