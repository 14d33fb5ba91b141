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

/** Reads each named file (or stdin for `-` or no names). Throws a clear error naming a missing file. */
export const readInputs = async (names: ReadonlyArray<string>): Promise<ReadonlyArray<Input>> => {
  const list = names.length === 0 ? ["-"] : names;
  const out: Array<Input> = [];
  for (const name of list) {
    if (name === "-") {
      out.push({ name: "stdin", text: await readStdin() });
      continue;
    }
    try {
      out.push({ name, text: await readFile(name, "utf8") });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === "ENOENT" ? `no such file: ${name}` : `cannot read ${name}: ${(e as Error).message}`,
      );
    }
  }
  return out;
};

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Splits an input into records the way a queue would carry them: a JSON document is one record; JSON
 * Lines are one record per non-blank line (so one bad line is one rejected record).
 */
export const toRecords = (input: Input): ReadonlyArray<{ readonly id: string; readonly body: string }> => {
  const text = input.text;
  const trimmed = text.trim();
  if (trimmed.length === 0) return [];
  try {
    JSON.parse(trimmed);
    return [{ id: input.name, body: trimmed }];
  } catch {
    const out: Array<{ id: string; body: string }> = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim().length > 0) out.push({ id: `${input.name}:${i + 1}`, body: line });
    });
    return out;
  }
};
