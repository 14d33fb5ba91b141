import { DEFAULT_POLICY, type Decided, decideBody, type Person, type RoutingPolicy } from "@offboard/core";
import type { Command } from "commander";
import { type Notices, streamInputs } from "../io.ts";

/** One line of `offboard inspect` output: the contract documented in docs/cli.md. */
export interface InspectLine {
  readonly uuid?: string;
  readonly eventType?: string;
  readonly published?: string;
  readonly decision: "route" | "ignore" | "reject";
  readonly kind?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly subject?: { readonly id: string; readonly login?: string; readonly displayName?: string };
  readonly actor?: {
    readonly id: string;
    readonly login?: string;
    readonly displayName?: string;
    readonly type?: string;
  };
  readonly sinks?: ReadonlyArray<string>;
  /** The file (and line, for JSON Lines) the event came from. */
  readonly input: string;
}

const subjectOf = (p: Person) => ({
  id: p.id,
  ...(p.login !== undefined && { login: p.login }),
  ...(p.displayName !== undefined && { displayName: p.displayName }),
});
const actorOf = (p: Person) => ({ ...subjectOf(p), ...(p.type !== undefined && { type: p.type }) });

export const inspectLine = (d: Decided, input: string): InspectLine => {
  const ev = d.result._tag === "Decoded" ? d.result.event : undefined;
  const base = {
    ...(ev?.uuid !== undefined && { uuid: ev.uuid }),
    ...(ev?.eventType !== undefined && { eventType: ev.eventType }),
    ...(ev?.published !== undefined && { published: ev.published }),
  };
  switch (d.decision._tag) {
    case "Route":
      return {
        ...base,
        decision: "route",
        kind: d.decision.event.kind,
        subject: subjectOf(d.decision.event.subject),
        actor: actorOf(d.decision.event.actor),
        sinks: d.decision.sinks,
        input,
      };
    case "Ignore":
      return {
        ...base,
        decision: "ignore",
        reason: d.decision.reason,
        message: d.decision.detail,
        ...(ev?.actor !== undefined && {
          actor: actorOf({
            id: ev.actor.id ?? "unknown",
            ...(ev.actor.alternateId !== undefined && { login: ev.actor.alternateId }),
            ...(ev.actor.displayName !== undefined && { displayName: ev.actor.displayName }),
            ...(ev.actor.type !== undefined && { type: ev.actor.type }),
          }),
        }),
        input,
      };
    case "Reject":
      return { ...base, decision: "reject", reason: d.decision.error.code, message: d.decision.error.message, input };
  }
};

/**
 * Decodes and decides every input; writes one JSON line per LogEvent; returns the exit code. An empty
 * input is one empty record, rejected as `not-json` ("empty input"), as `replay` and the worker do.
 */
export const runInspect = async (
  files: ReadonlyArray<string>,
  policy: RoutingPolicy,
  write: (line: string) => void,
  notices?: Notices,
): Promise<number> => {
  let rejected = 0;
  // Streamed: one record is read, decided and written before the next (docs/performance.md).
  for (const input of await streamInputs(files, notices)) {
    for await (const record of input.records) {
      for (const d of decideBody(record.body, policy)) {
        const line = inspectLine(d, record.id);
        if (line.decision === "reject") rejected += 1;
        write(JSON.stringify(line));
      }
    }
  }
  return rejected === 0 ? 0 : 1;
};

export const registerInspect = (program: Command, loadPolicy: () => Promise<RoutingPolicy>): void => {
  program
    .command("inspect")
    .description(
      "decode Okta deliveries (EventBridge, Event Hook, System Log API, LogEvent, SQS event; JSON or JSON Lines) " +
        "and print one JSON line per LogEvent with the decision; exit 1 when anything was rejected",
    )
    .argument("[files...]", "files to read; - or nothing reads standard input")
    .action(async (files: Array<string>) => {
      const policy = await loadPolicy().catch(() => DEFAULT_POLICY);
      process.exitCode = await runInspect(files, policy, (line) => process.stdout.write(`${line}\n`), {
        command: "inspect",
        write: (line) => process.stderr.write(`offboard: ${line}\n`),
      });
    });
};
