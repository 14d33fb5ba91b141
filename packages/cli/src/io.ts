import { createReadStream } from "node:fs";
import { access, constants, readFile, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** One input the user named: a file, or standard input (`-`). */
export interface Input {
  readonly name: string;
  readonly text: string;
}

const readStdin = async (): Promise<string> => {
  const chunks: Array<Buffer> = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/** Where `readInputs` says it is waiting on a terminal: stderr, in the CLI. */
export interface Notices {
  /** The command, for the hint: `inspect` or `replay`. */
  readonly command: string;
  readonly write: (line: string) => void;
}

/**
 * Reads each named file (or stdin for `-` or no names). Throws a clear error naming a missing file, a
 * directory or an unreadable file. When standard input is a terminal, says so first: otherwise the
 * command would seem to hang.
 */
export const readInputs = async (names: ReadonlyArray<string>, notices?: Notices): Promise<ReadonlyArray<Input>> => {
  const list = names.length === 0 ? ["-"] : names;
  const out: Array<Input> = [];
  for (const name of list) {
    if (name === "-") {
      if (notices !== undefined && process.stdin.isTTY === true) {
        notices.write(
          "reading Okta events from standard input (paste them, then press Ctrl-D; or name a file: " +
            `offboard ${notices.command} FILE)`,
        );
      }
      out.push({ name: "stdin", text: await readStdin() });
      continue;
    }
    try {
      out.push({ name, text: await readFile(name, "utf8") });
    } catch (e) {
      throw new UsageError(cannotRead(name, e as NodeJS.ErrnoException));
    }
  }
  return out;
};

const cannotRead = (name: string, e: NodeJS.ErrnoException): string => {
  switch (e.code) {
    case "ENOENT":
      return `no such file: ${name}`;
    case "EISDIR":
      return `${name} is a directory: name the files in it (for example ${name.replace(/\/+$/, "")}/*.jsonl)`;
    case "EACCES":
    case "EPERM":
      return `cannot read ${name}: permission denied`;
    default:
      return `cannot read ${name}: ${e.message}`;
  }
};

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Splits an input into records the way a queue would carry them: a JSON document spread over several
 * lines is one record, named after the input; otherwise each non-blank line is one record, named
 * `INPUT:LINE` (so one bad line is one rejected record, and a one-line file's record is `FILE:1`, as it
 * would be with more lines). An empty input is one empty record, which the pipeline rejects as the worker
 * would reject an empty message body.
 */
export const toRecords = (input: Input): ReadonlyArray<{ readonly id: string; readonly body: string }> => {
  const text = input.text;
  const trimmed = text.trim();
  if (trimmed.length === 0) return [{ id: input.name, body: text }];
  const lines = text.split(/\r?\n/);
  const nonBlank = lines.filter((line) => line.trim().length > 0).length;
  if (nonBlank > 1) {
    try {
      JSON.parse(trimmed);
      return [{ id: input.name, body: trimmed }];
    } catch {
      // JSON Lines (or a broken document): one record per line
    }
  }
  const out: Array<{ id: string; body: string }> = [];
  lines.forEach((line, i) => {
    if (line.trim().length > 0) out.push({ id: `${input.name}:${i + 1}`, body: line });
  });
  return out;
};

/** One record of an input: its id (`INPUT`, or `INPUT:LINE` for a line) and its body. */
export interface InputRecord {
  readonly id: string;
  readonly body: string;
}

/** One input the user named (a file, or standard input), streamed record by record. */
export interface StreamedInput {
  readonly name: string;
  readonly records: AsyncIterable<InputRecord>;
}

const parsesAlone = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** The lines of a text stream, each with the newline that ended it ("" for a last line without one). */
async function* linesOf(stream: Readable): AsyncGenerator<{ readonly text: string; readonly eol: string }> {
  let rest = "";
  // Buffers may end inside a character (stdin hands out raw bytes): the decoder holds it back.
  const utf8 = new StringDecoder("utf8");
  for await (const chunk of stream) {
    rest += typeof chunk === "string" ? chunk : utf8.write(chunk as Buffer);
    let start = 0;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n", start)) {
      const cr = nl > start && rest.charCodeAt(nl - 1) === 13;
      yield { text: rest.slice(start, cr ? nl - 1 : nl), eol: cr ? "\r\n" : "\n" };
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += utf8.end();
  if (rest.length > 0) yield { text: rest, eol: "" };
}

/**
 * The records of one input, as `toRecords` splits a whole text, read as a stream: when the first
 * non-blank line is a JSON value on its own, the input is JSON Lines and each line is handed over as it
 * is read (memory bounded by the longest line, whatever the input's size). Otherwise the input may be one
 * JSON document spread over lines, which is only known at its end: those lines are held and split as
 * `toRecords` does.
 */
export async function* streamRecords(name: string, stream: Readable): AsyncGenerator<InputRecord> {
  let lineNo = 0;
  let jsonLines = false;
  // The text read so far while it is blank or may be one document spread over lines.
  let held = "";
  let holding = false;
  for await (const { text, eol } of linesOf(stream)) {
    lineNo += 1;
    if (jsonLines) {
      if (text.trim().length > 0) yield { id: `${name}:${lineNo}`, body: text };
      continue;
    }
    if (!holding && text.trim().length > 0) {
      if (parsesAlone(text)) {
        jsonLines = true;
        held = "";
        yield { id: `${name}:${lineNo}`, body: text };
        continue;
      }
      holding = true;
    }
    held += text + eol;
  }
  // Blank (one empty record, rejected as the worker would reject it) or not JSON Lines from the start.
  if (!jsonLines) yield* toRecords({ name, text: held });
}

/**
 * Each named file (or stdin for `-` or no names), streamed. Every file is checked before any is read,
 * with the errors `readInputs` gives, so a typo in the last name stops the run before anything is
 * delivered. When standard input is a terminal, says so first.
 */
export const streamInputs = async (
  names: ReadonlyArray<string>,
  notices?: Notices,
): Promise<ReadonlyArray<StreamedInput>> => {
  const list = names.length === 0 ? ["-"] : names;
  for (const name of list) {
    if (name === "-") continue;
    try {
      const info = await stat(name);
      if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      await access(name, constants.R_OK);
    } catch (e) {
      throw new UsageError(cannotRead(name, e as NodeJS.ErrnoException));
    }
  }
  return list.map((name) => {
    if (name !== "-") return { name, records: streamRecords(name, createReadStream(name, { encoding: "utf8" })) };
    if (notices !== undefined && process.stdin.isTTY === true) {
      notices.write(
        "reading Okta events from standard input (paste them, then press Ctrl-D; or name a file: " +
          `offboard ${notices.command} FILE)`,
      );
    }
    return { name: "stdin", records: streamRecords("stdin", process.stdin) };
  });
};

/** Groups a stream into arrays of at most `size` items. */
export async function* inBatches<A>(items: AsyncIterable<A>, size: number): AsyncGenerator<Array<A>> {
  let batch: Array<A> = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
