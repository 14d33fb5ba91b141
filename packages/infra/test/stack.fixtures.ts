/** Factories for synthesized offboard stacks, shared by the infra tests. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { EXAMPLE_CONFIG, type OffboardConfig } from "../src/config.ts";
import { OffboardingStack } from "../src/offboarding-stack.ts";

/** The app's own context (feature flags) from cdk.json, so tests synthesize what `cdk deploy` would. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as { context: Record<string, unknown> }
).context;

export const ENV = { account: "123456789012", region: "us-east-1" } as const;

export interface Synthesized {
  readonly app: App;
  readonly stack: OffboardingStack;
  readonly template: Template;
}

/**
 * Build and synthesize an OffboardingStack. `bundle: false` skips esbuild (assets become placeholders)
 * for tests that only look at the template.
 */
export const synthStack = (
  overrides: Partial<OffboardConfig> = {},
  options: { bundle?: boolean } = {},
): Synthesized => {
  const base = { ...CDK_JSON_CONTEXT, "aws:cdk:enable-asset-metadata": true };
  const context = options.bundle === false ? { ...base, "aws:cdk:bundling-stacks": [] } : base;
  const app = new App({ context });
  const stack = new OffboardingStack(app, "OffboardTest", { env: ENV, config: { ...EXAMPLE_CONFIG, ...overrides } });
  return { app, stack, template: Template.fromStack(stack) };
};

/** cdk-nag AwsSolutions findings (errors and warnings) not acknowledged, as `rule @ path` strings. */
export const unacknowledgedNagFindings = (scope: App | Stack): Array<string> =>
  new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath ?? r.resourceLogicalId}`),
    );

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: Array<string> }>;

export const resourcesOfType = (template: Template, type: string) =>
  Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

export const onlyResource = (template: Template, type: string) => {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
};

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | Array<string>;
  readonly Resource: unknown;
}

export const asArray = <T>(x: T | Array<T>): Array<T> => (Array.isArray(x) ? x : [x]);

/** Every statement of every AWS::IAM::Policy, with the policy's logical id and its roles. */
export const policyStatements = (template: Template) =>
  resourcesOfType(template, "AWS::IAM::Policy").flatMap(([id, p]) => {
    const doc = (p.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Array<PolicyStatement> };
    return doc.Statement.map((statement) => ({ policyId: id, roles: p.Properties?.Roles, statement }));
  });

/** The directory of a bundled Lambda asset, from the `aws:asset:path` metadata of its function. */
export const assetDirOf = (synthesized: Synthesized, functionLogicalId: string): string => {
  const resource = (synthesized.template.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>)[
    functionLogicalId
  ];
  const assetPath = resource?.Metadata?.["aws:asset:path"];
  if (typeof assetPath !== "string") throw new Error(`no asset path for ${functionLogicalId}`);
  return path.join(synthesized.app.outdir, assetPath);
};
