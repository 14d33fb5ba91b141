/**
 * Least privilege, pinned: every statement of every role of the stack, in the default configuration
 * and with a customer-managed queue key. A grant that widens (a `grant*` helper adding Scan or
 * DescribeSecret, a new statement, a new role) fails here until this file says why it is needed.
 * The worker and the log-stream handler each read only their own secret. The default stack (source
 * "stream+poll") with the Event Hook receiver adds the poller, the Scheduler's role, the receiver, its
 * registration handler and that provider framework, each pinned here too.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import type { OffboardConfig } from "../src/config.ts";
import { REPO_ROOT } from "../src/lambda.ts";
import { WORKER_ACTIONS } from "../src/offboarding-worker.ts";
import { EVENT_HOOK_ACTIONS } from "../src/okta-event-hook.ts";
import { POLLER_ACTIONS } from "../src/okta-poller.ts";
import { asArray, policyStatements, resourcesOfType, type Synthesized, synthStack } from "./stack.fixtures.ts";

const WORKER_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf";
const ADMIN_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl";
const HOOK_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-hook-MnOpQr";

const idOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as never);
const arn = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });

interface Pinned {
  readonly effect: string;
  readonly actions: ReadonlyArray<string>;
  readonly resources: ReadonlyArray<unknown>;
}

/** Every role's statements: from AWS::IAM::Policy resources and any inline `Policies` of the role. */
const statementsByRole = (s: Synthesized): Record<string, Array<Pinned>> => {
  const out: Record<string, Array<Pinned>> = {};
  for (const [roleId, role] of resourcesOfType(s.template, "AWS::IAM::Role")) {
    out[roleId] = [];
    const inline = (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Array<never> } }>;
    for (const p of inline) for (const st of p.PolicyDocument.Statement) out[roleId].push(pin(st));
  }
  for (const { roles, statement } of policyStatements(s.template)) {
    for (const r of roles as Array<{ Ref: string }>) {
      out[r.Ref] ??= [];
      out[r.Ref]!.push(pin(statement));
    }
  }
  return out;
};

const pin = (st: { Effect: string; Action: string | Array<string>; Resource: unknown }): Pinned => ({
  effect: st.Effect,
  actions: asArray(st.Action).slice().sort(),
  resources: asArray(st.Resource as unknown),
});

const allow = (actions: ReadonlyArray<string>, ...resources: ReadonlyArray<unknown>): Pinned => ({
  effect: "Allow",
  actions,
  resources,
});

/** A Lambda invoke grant on one function: the function and its versions and aliases. */
const invoke = (fnId: string) => allow(["lambda:InvokeFunction"], arn(fnId), { "Fn::Join": ["", [arn(fnId), ":*"]] });

interface Options {
  readonly kms: boolean;
  /** source "stream+poll": the poller and the Scheduler's role. */
  readonly poller: boolean;
  /** eventHookSecretArn: the receiver, its registration handler and that provider framework. */
  readonly hook: boolean;
}

const expectedRoles = (s: Synthesized, options: Options) => {
  const { stack } = s;
  const worker = stack.worker;
  const ls = stack.logStream!;
  const handlerFn = idOf(stack, ls.handler.function);
  const queueKeyId = options.kms ? arn(idOf(stack, stack.ingest.encryptionKey as never)) : undefined;
  const queueKey = queueKeyId !== undefined ? [allow(["kms:Decrypt", "kms:GenerateDataKey"], queueKeyId)] : [];
  const queue = arn(idOf(stack, stack.ingest.queue));
  const logs = (fn: { logGroup: { node: { defaultChild?: unknown } } }) =>
    allow(["logs:CreateLogStream", "logs:PutLogEvents"], arn(idOf(stack, fn.logGroup)));
  const poller = stack.poller;
  const pollerRoles =
    options.poller && poller !== undefined
      ? {
          [idOf(stack, poller.handler.role)]: [
            logs(poller.handler),
            allow(["secretsmanager:GetSecretValue"], WORKER_SECRET),
            allow(["sqs:SendMessage"], queue),
            ...queueKey,
            allow(["dynamodb:GetItem", "dynamodb:PutItem"], arn(idOf(stack, worker.ledgerTable))),
          ],
          // EventBridge Scheduler's role for the Lambda target: invoking the poller only.
          [schedulerRoleId(s)]: [invoke(idOf(stack, poller.handler.function))],
        }
      : {};
  const hook = stack.eventHook;
  const hookRoles =
    options.hook && hook !== undefined
      ? {
          [idOf(stack, hook.handler.role)]: [
            logs(hook.handler),
            allow(["secretsmanager:GetSecretValue"], HOOK_SECRET),
            allow(["sqs:SendMessage"], queue),
            ...queueKey,
          ],
          [idOf(stack, hook.registrationHandler!.role)]: [
            logs(hook.registrationHandler!),
            // One statement: CDK merges grants of the same action.
            allow(["secretsmanager:GetSecretValue"], HOOK_SECRET, ADMIN_SECRET),
          ],
          [idOf(stack, hook.registrationFrameworkRole!)]: [
            allow(
              ["logs:CreateLogStream", "logs:PutLogEvents"],
              arn(idOf(stack, hook.node.findChild("FrameworkLogGroup") as never)),
            ),
            invoke(idOf(stack, hook.registrationHandler!.function)),
            allow(["lambda:GetFunction"], arn(idOf(stack, hook.registrationHandler!.function))),
          ],
        }
      : {};
  return {
    ...pollerRoles,
    ...hookRoles,
    [idOf(stack, worker.lambda.role)]: [
      allow(["logs:CreateLogStream", "logs:PutLogEvents"], arn(idOf(stack, worker.lambda.logGroup))),
      allow(["secretsmanager:GetSecretValue"], WORKER_SECRET),
      allow(
        ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        arn(idOf(stack, worker.ledgerTable)),
      ),
      allow(["sqs:SendMessage"], arn(idOf(stack, stack.ingest.deadLetterQueue))),
      ...queueKey,
      allow(
        ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
        arn(idOf(stack, stack.ingest.queue)),
      ),
    ],
    [idOf(stack, ls.handler.role)]: [
      allow(["logs:CreateLogStream", "logs:PutLogEvents"], arn(idOf(stack, ls.handler.logGroup))),
      allow(["secretsmanager:GetSecretValue"], ADMIN_SECRET),
    ],
    // The CDK provider framework: its own log group, and invoking (and describing) only its handler.
    [idOf(stack, ls.frameworkRole)]: [
      allow(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        arn(stack.getLogicalId(ls.frameworkLogGroup.node.defaultChild as never)),
      ),
      invoke(handlerFn),
      allow(["lambda:GetFunction"], arn(handlerFn)),
    ],
  };
};

/** The Scheduler's role for the poller's Lambda target: a singleton at stack scope, named by CDK. */
const schedulerRoleId = (s: Synthesized): string => {
  const ids = resourcesOfType(s.template, "AWS::IAM::Role")
    .map(([id]) => id)
    .filter((id) => id.startsWith("SchedulerRoleForTarget"));
  if (ids.length !== 1) throw new Error(`expected one Scheduler role, found ${ids.length}`);
  return ids[0]!;
};

const variants: ReadonlyArray<[string, Partial<OffboardConfig>, Options]> = [
  ["the stream stack", { source: "stream" }, { kms: false, poller: false, hook: false }],
  [
    "the stream stack with queueEncryption=KMS",
    { source: "stream", queueEncryption: "KMS" },
    { kms: true, poller: false, hook: false },
  ],
  // The default source is "stream+poll"; with the Event Hook receiver every optional role is present.
  [
    "the default stack with the event hook",
    { eventHookSecretArn: HOOK_SECRET },
    { kms: false, poller: true, hook: true },
  ],
  [
    "the default stack with the event hook and queueEncryption=KMS",
    { eventHookSecretArn: HOOK_SECRET, queueEncryption: "KMS" },
    { kms: true, poller: true, hook: true },
  ],
];

describe.each(variants)("IAM of %s", (_name, overrides, options) => {
  const s = synthStack(overrides, { bundle: false });

  it("pins every statement of every role", () => {
    expect(statementsByRole(s)).toEqual(expectedRoles(s, options));
  });

  it("lets each secret be read only by the functions that need it", () => {
    const readers = (secretArn: string) =>
      Object.entries(statementsByRole(s))
        .filter(([, sts]) => sts.some((st) => JSON.stringify(st.resources).includes(secretArn)))
        .map(([roleId]) => roleId)
        .sort();
    const { stack } = s;
    const role = (fn: { readonly role: unknown } | undefined) =>
      fn === undefined ? [] : [idOf(stack, fn.role as never)];

    // The poller reads the System Log read-only credential from the worker's secret.
    expect(readers(WORKER_SECRET)).toEqual(
      [idOf(stack, stack.worker.lambda.role), ...(options.poller ? role(stack.poller?.handler) : [])].sort(),
    );
    expect(readers(ADMIN_SECRET)).toEqual(
      [
        idOf(stack, stack.logStream!.handler.role),
        ...(options.hook ? role(stack.eventHook?.registrationHandler) : []),
      ].sort(),
    );
    expect(readers(HOOK_SECRET)).toEqual(
      options.hook ? [...role(stack.eventHook?.handler), ...role(stack.eventHook?.registrationHandler)].sort() : [],
    );
  });

  it("attaches no managed policy and lets only Lambda (or this account's Scheduler, for its role) assume each role", () => {
    expect(resourcesOfType(s.template, "AWS::IAM::ManagedPolicy")).toEqual([]);
    const scheduler = options.poller ? schedulerRoleId(s) : undefined;
    for (const [id, role] of resourcesOfType(s.template, "AWS::IAM::Role")) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
        Statement: [
          id === scheduler
            ? {
                Action: "sts:AssumeRole",
                Condition: {
                  StringEquals: {
                    "aws:SourceAccount": "123456789012",
                    "aws:SourceArn": "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default",
                  },
                },
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
              }
            : { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } },
        ],
        Version: "2012-10-17",
      });
    }
  });
});

describe("IAM with a log stream created elsewhere", () => {
  it("has only the worker's role, reading only the worker's secret", () => {
    const s = synthStack(
      { source: "stream", existingEventSourceName: "aws.partner/okta.com/example/terraform" },
      { bundle: false },
    );
    const roles = statementsByRole(s);

    expect(Object.keys(roles)).toEqual([idOf(s.stack, s.stack.worker.lambda.role)]);
    expect(JSON.stringify(roles)).not.toContain("okta-admin");
  });
});

describe("WORKER_ACTIONS", () => {
  /** The AWS SDK commands a source file sends (`new XCommand(` or `new sdk.XCommand(`), as IAM actions. */
  const actionsSent = (file: string, service: string, skip: ReadonlyArray<string> = []): Array<string> => {
    const source = readFileSync(path.join(REPO_ROOT, file), "utf8");
    const names = [...source.matchAll(/new (?:\w+\.)?(\w+)Command\(/g)].map((m) => m[1]!);
    return [...new Set(names.filter((n) => !skip.includes(n)).map((n) => `${service}:${n}`))].sort();
  };

  it("are exactly the calls the worker's code makes: a new call fails here until it is granted", () => {
    // createLedgerTable's table administration runs from `offboard ledger create-table`, never in the Lambda.
    const tableAdmin = ["CreateTable", "DescribeTable", "DescribeTimeToLive", "UpdateTimeToLive"];

    expect(actionsSent("packages/adapters/src/ledger/dynamodb.ts", "dynamodb", tableAdmin)).toEqual([
      ...WORKER_ACTIONS.ledger,
    ]);
    expect(actionsSent("packages/adapters/src/secrets/secret-cache.ts", "secretsmanager")).toEqual([
      ...WORKER_ACTIONS.secret,
    ]);
    expect(actionsSent("packages/handlers/src/dlq.ts", "sqs")).toEqual([...WORKER_ACTIONS.deadLetterQueue]);
    // ChangeMessageVisibilityBatch is authorised by the sqs:ChangeMessageVisibility action.
    expect(actionsSent("packages/handlers/src/visibility.ts", "sqs").map((a) => a.replace(/Batch$/, ""))).toEqual(
      WORKER_ACTIONS.queue.filter((a) => a === "sqs:ChangeMessageVisibility"),
    );
  });
});

describe("POLLER_ACTIONS and EVENT_HOOK_ACTIONS", () => {
  const actionsSent = (file: string, service: string): Array<string> => {
    const source = readFileSync(path.join(REPO_ROOT, file), "utf8");
    const names = [...source.matchAll(/new (?:\w+\.)?(\w+)Command\(/g)].map((m) => m[1]!);
    // SendMessageBatch is authorised by the sqs:SendMessage action.
    return [...new Set(names.map((n) => `${service}:${n.replace(/^SendMessageBatch$/, "SendMessage")}`))].sort();
  };

  it("are exactly the calls the poller's code makes", () => {
    expect(actionsSent("packages/handlers/src/poller/handler.ts", "secretsmanager")).toEqual([
      ...POLLER_ACTIONS.secret,
    ]);
    expect(actionsSent("packages/adapters/src/okta/checkpoint-store.ts", "dynamodb")).toEqual([
      ...POLLER_ACTIONS.checkpoint,
    ]);
    expect(actionsSent("packages/handlers/src/event-hook/envelope.ts", "sqs")).toEqual([...POLLER_ACTIONS.queue]);
  });

  it("are exactly the calls the receiver's and the registration handler's code make", () => {
    expect(actionsSent("packages/handlers/src/log-stream/secret.ts", "secretsmanager")).toEqual([
      ...EVENT_HOOK_ACTIONS.secret,
    ]);
    expect(actionsSent("packages/handlers/src/event-hook/envelope.ts", "sqs")).toEqual([...EVENT_HOOK_ACTIONS.queue]);
  });

  it("ask the queue key for what SQS needs to encrypt a message sent, as the worker does for the DLQ", () => {
    expect([...POLLER_ACTIONS.queueKey]).toEqual([...WORKER_ACTIONS.queueKeyProduce]);
    expect([...EVENT_HOOK_ACTIONS.queueKey]).toEqual([...WORKER_ACTIONS.queueKeyProduce]);
  });
});
