/**
 * A System Log backfill against the loopback Okta, at the default request cap (25 per minute):
 *   tsx bench/okta-backfill.ts [events=10000] [pageLimit=1000]
 * The fake org holds `events` lifecycle events among as many noise events (sign-ins), and an Okta rate
 * limit of 50 requests per minute (a paid developer org). Measures, for a bounded backfill (since+until)
 * and for a poll that catches up (since, then `next` until an empty page):
 * - Okta requests per 1,000 events read, and any waits for our cap or Okta's headers;
 * - the time to read them, and to read them and run every event through the pipeline (no-op sinks,
 *   in-memory ledger), one page at a time as `offboard poll` does.
 * Prints one JSON line per scenario. Not a test: nothing asserts on times.
 */
import { makeOktaClient, oktaSystemLog } from "@offboard/adapters";
import {
  DeliveryLedger,
  HANDLED_EVENT_TYPES,
  HrisDirectory,
  PipelineConfig,
  processBatch,
  sinksLayer,
} from "@offboard/core";
import { noopSink } from "@offboard/core/testing";
import { fakeLogEvent, startFakeOkta } from "@offboard/testkit";
import { Layer, ManagedRuntime, Redacted } from "effect";

const events = Number(process.argv[2] ?? "10000");
const pageLimit = Number(process.argv[3] ?? "1000");

const okta = await startFakeOkta();
okta.rateLimitPerMinute = 50;
const start = Date.now() - 6 * 3_600_000;
const types = HANDLED_EVENT_TYPES;
for (let i = 0; i < events; i++) {
  const at = new Date(start + i * 1000).toISOString();
  okta.addEvents(
    fakeLogEvent("user.session.start", at),
    fakeLogEvent(types[i % types.length] ?? "user.lifecycle.deactivate", at, { userId: `00ubench${i % 2500}` }),
  );
}
const since = new Date(start - 60_000).toISOString();
const until = new Date().toISOString();

const runtime = ManagedRuntime.make(
  Layer.mergeAll(
    PipelineConfig.layer(),
    DeliveryLedger.inMemory(),
    HrisDirectory.none,
    sinksLayer([noopSink("slack"), noopSink("jira")]),
  ),
);

const scenario = async (name: string, bounded: boolean, deliver: boolean) => {
  const client = makeOktaClient({
    orgUrl: okta.url,
    credentials: { type: "api-token", token: Redacted.make(okta.token) },
  });
  const reader = oktaSystemLog(client);
  let delivered = 0;
  const t0 = performance.now();
  const result = await reader.readAll(
    { since, ...(bounded ? { until } : {}), eventTypes: HANDLED_EVENT_TYPES, limit: pageLimit },
    async (page) => {
      if (!deliver || page.events.length === 0) return;
      const records = page.events.map((body, i) => ({ id: `p${i}`, body: JSON.stringify(body) }));
      const outcomes = await runtime.runPromise(processBatch(records));
      delivered += outcomes.filter((o) => o.status === "delivered").length;
    },
  );
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      scenario: name,
      events: result.events,
      pageLimit,
      requests: client.stats.requests,
      requestsPer1000Events: Number(((client.stats.requests / result.events) * 1000).toFixed(2)),
      rateLimited: client.stats.rateLimited,
      waitedMs: client.stats.waitedMs,
      ms: Math.round(ms),
      ...(deliver ? { delivered, eventsPerSec: Math.round(result.events / (ms / 1000)) } : {}),
    }),
  );
};

try {
  await scenario("bounded backfill, read only", true, false);
  await scenario("poll until caught up, read only", false, false);
  await scenario("bounded backfill, read and deliver", true, true);
} finally {
  await runtime.dispose();
  await okta.close();
}
