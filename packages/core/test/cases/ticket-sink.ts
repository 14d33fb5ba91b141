import { Effect } from "effect";
import type { Receipt, Sink } from "../../src/index.ts";

export interface Ticket {
  readonly ref: string;
  readonly openedBy: string;
  open: boolean;
  comments: number;
}

/**
 * A ticket sink in memory that does what the Jira sink does with a case's step: open a ticket, comment
 * on the case's open one, close it, or nothing (`noop`), as `context.step.ticket` says.
 */
export const memoryTicketSink = (name = "jira") => {
  const tickets: Array<Ticket> = [];
  const sink: Sink = {
    name,
    deliver: (event, ctx) =>
      Effect.sync((): Receipt => {
        const action = ctx.step?.ticket ?? "none";
        const current = tickets.find((t) => t.ref === ctx.case?.ticket?.ref && t.open);
        switch (action) {
          case "open": {
            const ref = `IT-${tickets.length + 1}`;
            tickets.push({ ref, openedBy: event.id, open: true, comments: 0 });
            return { sink: name, ref, ticket: "open" };
          }
          case "comment":
          case "close":
            if (current === undefined) throw new Error(`${action} for ${event.id} with no open ticket on the case`);
            if (action === "comment") current.comments += 1;
            else current.open = false;
            return { sink: name, ref: current.ref, ticket: action };
          case "none":
            return {
              sink: name,
              ref: "none",
              noop: ctx.step?.timeliness === "current" || ctx.step?.timeliness === "repeat" ? "skipped" : "superseded",
            };
        }
      }),
  };
  return { sink, tickets };
};
