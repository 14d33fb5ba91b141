/**
 * `offboard reconcile --since ISO --until ISO [--deliver]`: compares the lifecycle events in Okta's System
 * Log with the delivery ledger. One JSON line per finding on stdout:
 *
 * - `{"finding":"undelivered", …}`: an event offboard routes that no sink has a delivery of;
 * - `{"finding":"no-receipt", "sink": …}`: an event some sinks delivered, but not this one;
 * - with `--all`, `{"finding":"delivered", "sinks": {name: {at, ref, url}}}` for the rest: for each
 *   offboarded user, when Okta acted and when each sink did (the evidence an auditor asks for);
 *
 * then `{"summary": …}`. Exit 1 when anything is missing (so cron can alert), 0 otherwise. `--deliver`
 * delivers what is missing through the same pipeline as `poll` and `replay` (the ledger skips the sinks
 * that already have a receipt) and exits 0 when everything then has one.
 */
import { join } from "node:path";
import {
  type AppConfig,
  type AuditedDelivery,
  dynamoDbLedgerAudit,
  type LedgerAudit,
  oktaSystemLog,
  sinksFromConfig,
  sqliteLedgerAudit,
} from "@offboard/adapters";
import { decideBody, HANDLED_EVENT_TYPES } from "@offboard/core";
import type { Command } from "commander";
import { UsageError } from "../io.ts";
import { endOnOktaError, oktaClientFromConfig, openDeliverySession, pageRecords, parseInstant } from "./poll.ts";
import { summaryTable } from "./replay.ts";

export interface ReconcileFinding {
  readonly finding: "undelivered" | "no-receipt" | "delivered";
  readonly uuid: string;
  readonly eventType: string;
  readonly kind: string;
  /** When Okta acted. */
  readonly published: string | undefined;
  readonly subject: { readonly id: string; readonly login?: string | undefined };
  readonly sink?: string;
  readonly expectedSinks: ReadonlyArray<string>;
  readonly sinks?: Readonly<Record<string, { at?: string | undefined; ref: string; url?: string | undefined }>>;
}

export interface ReconcileResult {
  readonly findings: ReadonlyArray<ReconcileFinding>;
  readonly events: number;
  readonly routed: number;
  readonly undelivered: number;
  readonly missingReceipts: number;
  /** The raw Okta events with something missing, for --deliver. */
  readonly missing: ReadonlyArray<unknown>;
}

/** The sinks an event should have receipts from: the policy's route, limited to the configured sinks. */
const expectedSinksFor = (config: AppConfig, routed: ReadonlyArray<string>): ReadonlyArray<string> => {
  const active = new Set(sinksFromConfig(config, []).map((s) => s.name));
  const expected = routed.filter((s) => active.has(s));
  // Nothing configured (a local trial): poll and replay delivered to the outbox.
  return expected.length > 0 || active.size > 0 ? expected : ["outbox"];
};

export const reconcile = async (
  config: AppConfig,
  events: ReadonlyArray<unknown>,
  audit: LedgerAudit,
  includeDelivered: boolean,
): Promise<ReconcileResult> => {
  const findings: Array<ReconcileFinding> = [];
  const missing: Array<unknown> = [];
  let routed = 0;
  let undelivered = 0;
  let missingReceipts = 0;
  for (const raw of events) {
    for (const d of decideBody(raw, config.policy)) {
      if (d.decision._tag !== "Route") continue;
      routed += 1;
      const ev = d.decision.event;
      const expected = expectedSinksFor(config, d.decision.sinks);
      const done = new Map<string, AuditedDelivery>();
      for (const row of await audit.deliveries(ev.id)) if (row.state === "done") done.set(row.sink, row);
      const base = {
        uuid: ev.id,
        eventType: ev.eventType,
        kind: ev.kind,
        published: ev.occurredAt,
        subject: { id: ev.subject.id, ...(ev.subject.login !== undefined ? { login: ev.subject.login } : {}) },
        expectedSinks: expected,
      };
      const lacking = expected.filter((s) => !done.has(s));
      if (lacking.length > 0) missing.push(raw);
      if (done.size === 0 && lacking.length > 0) {
        undelivered += 1;
        findings.push({ finding: "undelivered", ...base });
        continue;
      }
      for (const sink of lacking) {
        missingReceipts += 1;
        findings.push({ finding: "no-receipt", ...base, sink });
      }
      if (lacking.length === 0 && includeDelivered) {
        findings.push({
          finding: "delivered",
          ...base,
          sinks: Object.fromEntries(
            [...done.values()].map((row) => [
              row.sink,
              { at: row.completedAt, ref: row.receipt?.ref ?? "", url: row.receipt?.url },
            ]),
          ),
        });
      }
    }
  }
  return { findings, events: events.length, routed, undelivered, missingReceipts, missing };
};

export const registerReconcile = (program: Command, loadConfig: () => Promise<AppConfig>): void => {
  program
    .command("reconcile")
    .description(
      "compare the lifecycle events in Okta's System Log with the ledger: a JSON line for every event offboard " +
        "never delivered and every sink without a receipt, then a summary; exit 1 when anything is missing",
    )
    .requiredOption("--since <iso>", "start of the window (published, inclusive)")
    .requiredOption("--until <iso>", "end of the window (exclusive)")
    .option("--deliver", "deliver the missing events now (the ledger skips sinks that already have a receipt)")
    .option("--all", "also print a line for every delivered event, with when each sink acted")
    .action(async (opts: { since: string; until: string; deliver?: boolean; all?: boolean }) => {
      const since = parseInstant("--since", opts.since) ?? "";
      const until = parseInstant("--until", opts.until) ?? "";
      if (Date.parse(until) <= Date.parse(since)) throw new UsageError("--until must be after --since");
      const config = await loadConfig();
      const okta = oktaClientFromConfig(config, "reconcile against Okta's System Log");
      const events: Array<unknown> = [];
      try {
        await oktaSystemLog(okta).readAll({ since, until, eventTypes: HANDLED_EVENT_TYPES }, async (page) => {
          events.push(...page.events);
        });
      } catch (e) {
        endOnOktaError(e);
        return;
      }
      const audit =
        config.ledgerTable !== undefined
          ? dynamoDbLedgerAudit(config.ledgerTable)
          : await sqliteLedgerAudit(join(config.stateDir, "ledger.sqlite"));
      let result: ReconcileResult;
      try {
        result = await reconcile(config, events, audit, opts.all === true);
      } finally {
        await audit.close();
      }
      for (const f of result.findings) process.stdout.write(`${JSON.stringify(f)}\n`);
      const anyMissing = result.undelivered + result.missingReceipts > 0;
      let delivered: { failed: number } | undefined;
      if (opts.deliver === true && result.missing.length > 0) {
        const session = openDeliverySession({
          config,
          preview: false,
          color: false,
          out: process.stderr,
          err: process.stderr,
        });
        try {
          const outcomes = await session.deliver(pageRecords(result.missing, "reconcile"));
          const summary = session.summary();
          process.stderr.write(`${summaryTable(summary)}\n`);
          delivered = {
            failed:
              [...summary.sinks.values()].reduce((n, c) => n + c.failed + c.busy, 0) +
              outcomes.filter((x) => x.status === "retry-later" || x.status === "rejected").length,
          };
        } finally {
          await session.close();
        }
      }
      process.stdout.write(
        `${JSON.stringify({
          summary: {
            since,
            until,
            oktaEvents: result.events,
            routed: result.routed,
            undelivered: result.undelivered,
            missingReceipts: result.missingReceipts,
            ...(delivered !== undefined
              ? { deliverAttempted: result.missing.length, deliveryFailures: delivered.failed }
              : {}),
          },
        })}\n`,
      );
      process.exitCode = anyMissing && (delivered === undefined || delivered.failed > 0) ? 1 : 0;
    });
};
