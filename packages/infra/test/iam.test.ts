/**
 * Least privilege, pinned: every statement of every role of the stack, in the default configuration
 * and with a customer-managed queue key. A grant that widens (a `grant*` helper adding Scan or
 * DescribeSecret, a new statement, a new role) fails here until this file says why it is needed.
 * The worker and the log-stream handler each read only their own secret.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import type { OffboardConfig } from "../src/config.ts";
import { REPO_ROOT } from "../src/lambda.ts";
import { WORKER_ACTIONS } from "../src/offboarding-worker.ts";
import { asArray, policyStatements, resourcesOfType, type Synthesized, synthStack } from "./stack.fixtures.ts";

const WORKER_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-AbCdEf";
const ADMIN_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:offboard-okta-admin-GhIjKl";

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

const expectedRoles = (s: Synthesized, options: { kms: boolean }) => {
  const { stack } = s;
  const worker = stack.worker;
  const ls = stack.logStream!;
  const handlerFn = idOf(stack, ls.handler.function);
  const queueKey = options.kms
    ? [allow(["kms:Decrypt", "kms:GenerateDataKey"], arn(idOf(stack, stack.ingest.encryptionKey as never)))]
    : [];
  return {
    [idOf(stack, worker.lambda.role)]: [
      allow(["logs:CreateLogStream", "logs:PutLogEvents"], arn(idOf(stack, worker.lambda.logGroup))),
      allow(["secretsmanager:GetSecretValue"], WORKER_SECRET),
      allow(
        ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        arn(idOf(stack, worker.ledgerTable)),
      ),
      allow(["sqs:SendMessage"], arn(idOf(stack, stack.ingest.deadLetterQueue))),
      ...queueKey,
      allow(
        ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
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
      allow(["lambda:InvokeFunction"], arn(handlerFn), { "Fn::Join": ["", [arn(handlerFn), ":*"]] }),
      allow(["lambda:GetFunction"], arn(handlerFn)),
    ],
  };
};

// source "stream": the worker and the log stream. The poller's and the event hook's roles (source "poll",
// "stream+poll", eventHookSecretArn) are not pinned here yet.
const variants: ReadonlyArray<[string, Partial<OffboardConfig>, { kms: boolean }]> = [
  ["the stream stack", { source: "stream" }, { kms: false }],
  ["the stream stack with queueEncryption=KMS", { source: "stream", queueEncryption: "KMS" }, { kms: true }],
];

describe.each(variants)("IAM of %s", (_name, overrides, options) => {
  const s = synthStack(overrides, { bundle: false });

  it("pins every statement of every role", () => {
    expect(statementsByRole(s)).toEqual(expectedRoles(s, options));
  });

  it("lets only the worker read the worker's secret and only the log-stream handler read the Okta admin secret", () => {
    const readers = (secretArn: string) =>
      Object.entries(statementsByRole(s))
        .filter(([, sts]) => sts.some((st) => JSON.stringify(st.resources).includes(secretArn)))
        .map(([roleId]) => roleId);

    expect(readers(WORKER_SECRET)).toEqual([idOf(s.stack, s.stack.worker.lambda.role)]);
    expect(readers(ADMIN_SECRET)).toEqual([idOf(s.stack, s.stack.logStream!.handler.role)]);
  });

  it("attaches no managed policy and lets only Lambda assume each role", () => {
    expect(resourcesOfType(s.template, "AWS::IAM::ManagedPolicy")).toEqual([]);
    for (const [, role] of resourcesOfType(s.template, "AWS::IAM::Role")) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
        Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } }],
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
  });
});
