import { readFile } from "node:fs/promises";

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
