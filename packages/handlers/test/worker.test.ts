import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import {
  DeliveryLedger,
  HrisDirectory,
  makeInMemoryLedger,
  PipelineConfig,
  type Sink,
  sinksLayer,
} from "@offboard/core";
import { envelope, LIFECYCLE_TYPES, type Moto, oktaEvent, useMoto } from "@offboard/testkit";
import { Effect, Layer } from "effect";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { DeadLetterQueue, MAX_DETAIL_BYTES, truncateUtf8 } from "../src/dlq.ts";
import { makeWorkerRuntime } from "../src/runtime.ts";
import { Telemetry } from "../src/telemetry.ts";
import { runWorker } from "../src/worker.ts";
import { quietTelemetry } from "./factories.ts";

/** Resolves once `check` holds (a liveness bound, not a timing assertion). */
const eventually = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const fixture = useMoto();
let moto: Moto;
let sqs: SQSClient;
let queueSeq = 0;

beforeAll(() => {
  moto = fixture.moto;
  sqs = fixture.client((c) => new SQSClient(c));
});

const queue = async (attributes: Record<string, string> = {}) => {
  queueSeq += 1;
  const out = await sqs.send(new CreateQueueCommand({ QueueName: `worker-test-${queueSeq}`, Attributes: attributes }));
  return out.QueueUrl ?? "";
};

const depth = async (url: string) => {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

/** A Slack stand-in whose deliveries wait for `open()`; `entered` resolves when the first one starts. */
const gatedSink = () => {
  let open!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const started = new Promise<void>((r) => {
    entered = r;
  });
  const delivered: Array<string> = [];
  const sink: Sink = {
    name: "slack",
    deliver: (event) =>
      Effect.promise(async () => {
        entered();
        await gate;
        delivered.push(event.id);
        return { sink: "slack", ref: `ts-${delivered.length}` };
      }),
  };
  return { sink, delivered, open, started };
};

const runtimeWith = (sink: Sink, dlqUrl: string | undefined) =>
  makeWorkerRuntime(() =>
    Layer.mergeAll(
      sinksLayer([sink]),
      Layer.succeed(DeliveryLedger, makeInMemoryLedger()),
      HrisDirectory.none,
      PipelineConfig.layer({}),
      DeadLetterQueue.layer({ url: dlqUrl, client: sqs }),
      Layer.succeed(Telemetry, quietTelemetry()),
    ),
  );

describe("runWorker", () => {
  it("finishes and deletes the batch in hand when told to stop mid-batch", async () => {
    const url = await queue();
    const slack = gatedSink();
    const body = JSON.stringify(envelope(oktaEvent({ eventType: LIFECYCLE_TYPES.suspended })));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const controller = new AbortController();

    const running = runWorker({
      queueUrl: url,
      sqs,
      runtime: runtimeWith(slack.sink, undefined),
      signal: controller.signal,
      waitTimeSeconds: 1,
    });
    await slack.started;
    controller.abort();
    slack.open();
    const stats = await running;

    expect(slack.delivered).toHaveLength(1);
    expect(stats).toMatchObject({ batches: 1, received: 1, deleted: 1, failed: 0 });
    expect(await depth(url)).toBe(0);
  });

  it("dead-letters a poison message with its reason and deletes it from the source queue", async () => {
    const url = await queue();
    const dlqUrl = await queue();
    const slack = gatedSink();
    slack.open();
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "not json" }));
    const controller = new AbortController();

    const running = runWorker({
      queueUrl: url,
      sqs,
      runtime: runtimeWith(slack.sink, dlqUrl),
      signal: controller.signal,
      waitTimeSeconds: 1,
      onBatch: () => controller.abort(),
    });
    await running;
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
    );

    const message = dead.Messages?.[0];
    expect(message?.Body).toBe("not json");
    expect(message?.MessageAttributes?.["offboard.reason"]?.StringValue).toBe("not-json");
    expect(message?.MessageAttributes?.["offboard.originalMessageId"]?.StringValue).toBe(sent.MessageId);
    expect(message?.MessageAttributes?.["offboard.receiveCount"]).toMatchObject({
      DataType: "Number",
      StringValue: "1",
    });
    expect(await depth(url)).toBe(0);
  });

  it("leaves a rejected record on the queue when no DLQ is configured", async () => {
    const url = await queue({ VisibilityTimeout: "30" });
    const slack = gatedSink();
    slack.open();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "not json" }));
    const controller = new AbortController();

    const stats = await runWorker({
      queueUrl: url,
      sqs,
      runtime: runtimeWith(slack.sink, undefined),
      signal: controller.signal,
      waitTimeSeconds: 1,
      onBatch: () => controller.abort(),
    });

    expect(stats).toMatchObject({ received: 1, deleted: 0, failed: 1 });
    expect(await depth(url)).toBe(1);
  });
});

describe("runWorker reports what it cannot do", () => {
  it("reports and logs a visibility heartbeat that fails while a batch is in hand", async () => {
    const url = await queue();
    const slack = gatedSink();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(envelope(oktaEvent())) }));
    const telemetry = quietTelemetry();
    const warn = vi.spyOn(telemetry.logger, "warn");
    const errors: Array<string> = [];
    const controller = new AbortController();

    const running = runWorker({
      queueUrl: url,
      sqs,
      runtime: runtimeWith(slack.sink, undefined),
      telemetry,
      signal: controller.signal,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      onError: (e) => errors.push(e instanceof Error ? e.message : String(e)),
    });
    await slack.started;
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await eventually(() => errors.some((m) => m.includes("invisible")), "the heartbeat failure to be reported");
    controller.abort();
    slack.open();
    await running;

    expect(errors.find((m) => m.includes("invisible"))).toContain("may be handed to another worker");
    expect(warn.mock.calls.map(([message]) => message)).toContain("visibility heartbeat failed");
  });

  it("stops at start, naming the queue, when it does not exist (it does not poll forever)", async () => {
    const polled = vi.fn();

    const error = await runWorker({
      queueUrl: `${moto.endpoint}/123456789012/no-such-queue`,
      sqs,
      runtime: runtimeWith(gatedSink().sink, undefined),
      telemetry: quietTelemetry(),
      waitTimeSeconds: 0,
      onError: polled,
    }).catch((e: unknown) => e as Error);

    expect((error as Error).message).toMatch(/^cannot start: queue .*no-such-queue does not exist/);
    expect(polled).not.toHaveBeenCalled();
  });
});

describe("truncateUtf8", () => {
  it("keeps a DLQ detail within 1 KB of UTF-8 without splitting a character", () => {
    const long = "é".repeat(2_000);
    const cut = truncateUtf8(long, MAX_DETAIL_BYTES);
    expect(Buffer.byteLength(cut, "utf8")).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(cut.endsWith("é…")).toBe(true);
  });

  it("leaves a short detail as it is", () => {
    expect(truncateUtf8("slack: channel_not_found", MAX_DETAIL_BYTES)).toBe("slack: channel_not_found");
  });

  describe("start-up: a worker that cannot work says why and stops", () => {
    const slackOnly = { SLACK_BOT_TOKEN: "xoxb-test_start", SLACK_CHANNEL_ID: "C0123456789" };
    const failure = async (options: Partial<Parameters<typeof runWorker>[0]>) => {
      const url = await queue();
      const error = await runWorker({
        queueUrl: url,
        sqs,
        telemetry: quietTelemetry(),
        waitTimeSeconds: 0,
        ...options,
      }).then(
        () => undefined,
        (e: unknown) => e as { _tag?: string; message?: string },
      );
      return error;
    };

    it("names a queue that does not exist", async () => {
      const e = await failure({ queueUrl: `${moto.endpoint}/123456789012/no-such-queue`, env: slackOnly });
      expect(e?._tag).toBe("WorkerError");
      expect(e?.message).toContain("does not exist");
    });

    it("refuses to start with no active sink, naming the keys that would activate one", async () => {
      const e = await failure({ env: { OFFBOARD_STATE_DIR: `/tmp/offboard-worker-test-${process.pid}` } });
      expect(e?._tag).toBe("WorkerError");
      expect(e?.message).toContain("no sink is active");
      expect(e?.message).toContain("SLACK_BOT_TOKEN and SLACK_CHANNEL_ID (slack)");
    });

    it("names an unusable state directory instead of retrying", async () => {
      const e = await failure({ env: { ...slackOnly, OFFBOARD_STATE_DIR: "/proc/nope" } });
      expect(e?._tag).toBe("WorkerError");
      expect(e?.message).toBe("cannot start: ledger: cannot use state directory /proc/nope: no such file or directory");
    });
  });
});
