import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliverEventHook, fakeLogEvent, startMoto } from "@offboard/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN, REPO } from "./run-cli.ts";

const SECRET = "a-hook-secret-of-some-length";
let state: string;
let child: ChildProcess | undefined;
let url: string;
let stderr: string;

/** Starts `offboard hook serve --port 0` and waits for its "listening" line. */
const serve = async (extraEnv: Record<string, string> = {}) => {
  stderr = "";
  child = spawn(process.execPath, [BIN, "hook", "serve", "--port", "0", "--no-preview"], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NO_COLOR: "1",
      OFFBOARD_STATE_DIR: state,
      OKTA_EVENT_HOOK_SECRET: SECRET,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.resume();
  url = await new Promise<string>((resolve, reject) => {
    child?.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child?.on("exit", (code) => reject(new Error(`hook serve exited ${code}: ${stderr}`)));
  });
};

const outbox = () =>
  existsSync(join(state, "outbox.jsonl"))
    ? readFileSync(join(state, "outbox.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
    : [];

beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "offboard-hook-"));
});
afterEach(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  child = undefined;
});

describe("offboard hook serve (local pipeline)", () => {
  it("answers Okta's verification challenge with the right secret only", async () => {
    await serve();
    const ok = await fetch(url, { headers: { Authorization: SECRET, "x-okta-verification-challenge": "c1-xyz" } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ verification: "c1-xyz" });

    const refused = await fetch(url, { headers: { Authorization: "wrong", "x-okta-verification-challenge": "c1" } });
    expect(refused.status).toBe(401);
  });

  it("delivers a batch once even when Okta retries it", async () => {
    await serve();
    const events = [
      fakeLogEvent("user.lifecycle.deactivate", new Date().toISOString()),
      fakeLogEvent("user.session.start", new Date().toISOString()),
      fakeLogEvent("user.lifecycle.suspend", new Date().toISOString()),
    ];

    const first = await deliverEventHook(url, events, { Authorization: SECRET }, "evt-1");
    const retry = await deliverEventHook(url, events, { Authorization: SECRET }, "evt-1");

    expect(first.status).toBe(204);
    expect(retry.status).toBe(204);
    expect(outbox()).toHaveLength(2);
  });

  it("refuses a delivery with a wrong secret and delivers nothing", async () => {
    await serve();
    const res = await deliverEventHook(url, [fakeLogEvent("user.lifecycle.suspend", new Date().toISOString())], {
      Authorization: "not-the-secret",
    });
    expect(res.status).toBe(401);
    expect(outbox()).toHaveLength(0);
  });

  it("answers 400 to a body that is not JSON", async () => {
    await serve();
    const res = await fetch(url, { method: "POST", headers: { Authorization: SECRET }, body: "{oops" });
    expect(res.status).toBe(400);
  });

  it("reads the secret from the header OKTA_EVENT_HOOK_HEADER names", async () => {
    await serve({ OKTA_EVENT_HOOK_HEADER: "X-Offboard-Secret" });
    const res = await fetch(url, { headers: { "X-Offboard-Secret": SECRET, "x-okta-verification-challenge": "c2" } });
    expect(res.status).toBe(200);
  });

  it("will not start without a secret", async () => {
    await expect(serve({ OKTA_EVENT_HOOK_SECRET: "" })).rejects.toThrow(/OKTA_EVENT_HOOK_SECRET must be set/);
  });
});

describe("offboard hook serve --queue-url (enqueues like the Lambda)", () => {
  it("enqueues each event with source offboard.event-hook", async () => {
    const moto = await startMoto();
    try {
      // moto speaks SQS's query protocol and routes by the credential scope, without checking signatures.
      const sqs = async (params: Record<string, string>) =>
        (
          await fetch(moto.endpoint, {
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              authorization:
                "AWS4-HMAC-SHA256 Credential=testing/20261130/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
            },
            body: new URLSearchParams({ Version: "2012-11-05", ...params }),
          })
        ).text();
      const created = await sqs({ Action: "CreateQueue", QueueName: "offboard-events" });
      const queueUrl = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created)?.[1] ?? "";
      expect(queueUrl).not.toBe("");
      child = spawn(process.execPath, [BIN, "hook", "serve", "--port", "0", "--queue-url", queueUrl], {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          OKTA_EVENT_HOOK_SECRET: SECRET,
          ...moto.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      stderr = "";
      url = await new Promise<string>((resolve, reject) => {
        child?.stderr?.on("data", (d: Buffer) => {
          stderr += d.toString();
          const m = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        child?.on("exit", (code) => reject(new Error(`hook serve exited ${code}: ${stderr}`)));
      });
      const event = fakeLogEvent("user.lifecycle.deactivate", new Date().toISOString());

      const res = await deliverEventHook(url, [event], { Authorization: SECRET });

      expect(res.status).toBe(204);
      const received = await sqs({ Action: "ReceiveMessage", QueueUrl: queueUrl, MaxNumberOfMessages: "10" });
      const body = /<Body>([^<]+)<\/Body>/.exec(received)?.[1] ?? "";
      const envelope = JSON.parse(body.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as {
        source: string;
        detail: { uuid: string };
      };
      expect(envelope.source).toBe("offboard.event-hook");
      expect(envelope.detail.uuid).toBe(event.uuid);
      expect(outbox()).toHaveLength(0);
    } finally {
      if (child !== undefined && child.exitCode === null) {
        const exited = new Promise((r) => child?.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await moto.stop();
    }
  });
});
