import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inBatches, streamRecords, toRecords } from "../src/io.ts";

/**
 * `inspect` and `replay` stream their input; `toRecords` is the reference split of a whole text. For any
 * text, cut into chunks anywhere (mid-line, mid-"\r\n", mid-character), the stream yields the same records.
 */
const collect = async <A>(xs: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = [];
  for await (const x of xs) out.push(x);
  return out;
};

/** The text as a stream of Buffers cut at the given (sorted, distinct) byte offsets. */
const chunked = (text: string, cuts: ReadonlyArray<number>): Readable => {
  const bytes = Buffer.from(text, "utf8");
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Array<Buffer> = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) parts.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return Readable.from(parts);
};

const line = fc.oneof(
  fc.constant(""),
  fc.constant("   "),
  fc.constant("{"),
  fc.constant("}"),
  fc.constant('"eventType": "user.lifecycle.suspend",'),
  fc.constant('{"eventType":"user.lifecycle.deactivate","uuid":"é-1"}'),
  fc.constant("[1, 2]"),
  fc.constant("not json"),
  fc.string({ maxLength: 12 }),
);
const text = fc
  .tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([lines, eol, trailing]) => lines.join(eol) + (trailing ? eol : ""));

describe("streamRecords", () => {
  it("yields the records toRecords makes of the whole text, however the stream is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), async (t, cuts) => {
        const streamed = await collect(streamRecords("in.jsonl", chunked(t, cuts)));
        expect(streamed).toEqual([...toRecords({ name: "in.jsonl", text: t })]);
      }),
      { numRuns: 300 },
    );
  });

  it("hands over JSON Lines one by one, before the input has ended", async () => {
    const source = new Readable({ read() {} });
    const records = streamRecords("stdin", source);
    source.push('{"a":1}\n{"b":2}\n');
    expect((await records.next()).value).toEqual({ id: "stdin:1", body: '{"a":1}' });
    expect((await records.next()).value).toEqual({ id: "stdin:2", body: '{"b":2}' });
    source.push(null);
    expect((await records.next()).done).toBe(true);
  });
});

describe("inBatches", () => {
  it("groups a stream in order into batches of the given size, the last one shorter", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 50 }), fc.integer({ min: 1, max: 12 }), async (xs, n) => {
        const batches = await collect(inBatches(Readable.from(xs), n));
        expect(batches.flat()).toEqual(xs);
        expect(batches.slice(0, -1).every((b) => b.length === n)).toBe(true);
        expect(batches.every((b) => b.length >= 1 && b.length <= n)).toBe(true);
      }),
    );
  });
});
