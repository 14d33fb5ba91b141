/**
 * docs/library.md, style 1: offboard from plain TypeScript, no effect code. Typechecked by
 * `npm test` (`tsc -b` over docs/snippets).
 */
import { classify, promiseSink, runPipeline } from "@offboard/core";

// An Okta delivery as your code receives it: an EventBridge event, an Event Hook POST body, a System Log
// API page, a bare LogEvent, or JSON Lines text.
declare const body: string;

// 1. What would happen to it? Synchronous and total: any input gives decisions, never a throw.
for (const decision of classify(body)) {
  switch (decision._tag) {
    case "Route":
      console.log(`${decision.event.kind}: ${decision.event.subject.login} → ${decision.sinks.join(", ")}`);
      break;
    case "Ignore":
      console.log(`ignored (${decision.reason}): ${decision.detail}`);
      break;
    case "Reject":
      console.warn(`rejected (${decision.error.code}): ${decision.error.message}`);
      break;
  }
}

// 2. A sink is an async function: deliver one event, resolve to a reference.
const tickets = promiseSink(
  "tickets",
  async (event, context, signal) => {
    const res = await fetch("https://tickets.example.com/api/offboarding", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": context.idempotencyKey },
      body: JSON.stringify({
        user: event.subject.login,
        kind: event.kind,
        // Follow-ups (unsuspended, reactivated) see the case the first event opened.
        previous: context.case?.receipts.tickets?.ref,
      }),
      signal,
    });
    if (!res.ok) throw Object.assign(new Error(`tickets API answered ${res.status}`), { status: res.status });
    const { id, link } = (await res.json()) as { id: string; link: string };
    return { ref: id, url: link };
  },
  {
    // 4xx but 408/429: retrying cannot help, the record is rejected with the message. Anything else retries.
    classifyError: (error) => {
      const status = (error as { status?: number }).status ?? 0;
      return status >= 400 && status < 500 && status !== 408 && status !== 429 ? "permanent" : "transient";
    },
  },
);

// 3. Run records through the pipeline. `policy` is the routing policy file's JSON (any subset).
const policy = { routes: { deactivated: ["tickets"], deleted: ["tickets"], suspended: [] } };
const first = await runPipeline([{ id: "msg-1", body }], { sinks: [tickets], policy });
for (const outcome of first.outcomes) {
  // delivered | ignored | rejected (with reasonCode and reason) | retry-later (try the record again)
  console.log(outcome.recordId, outcome.status, outcome.reason ?? "");
}

// 4. Keep the ledger between calls: the same event again is a duplicate and reaches no sink.
const again = await runPipeline([{ id: "msg-2", body }], { sinks: [tickets], policy, ledger: first.ledger });
console.log(again.outcomes[0]?.events[0]?.sinks[0]?.status); // "duplicate"
