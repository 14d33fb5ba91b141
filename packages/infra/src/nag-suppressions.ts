/**
 * Every cdk-nag (AwsSolutions) acknowledgement of the offboard app, each with its reason. Nothing else
 * in the code base calls `Validations.of(...).acknowledge`; the tests fail on any finding not listed here.
 */
import { type CfnElement, Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import type { OffboardingStack } from "./offboarding-stack.ts";

/** Run the AwsSolutions pack on every synth of `scope` (an App or Stage). */
export const enableNagChecks = (scope: IConstruct) => {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope));
};

const LAMBDA_RUNTIME_REASON =
  "offboard targets the nodejs22.x runtime on purpose (issue 5, ARCHITECTURE.md): it is the runtime the handlers " +
  "are tested and bundled for (esbuild target node22). Moving to a newer runtime is a deliberate upgrade with a " +
  "test run, not something a linter should force.";

export const applyNagAcknowledgements = (stack: OffboardingStack) => {
  const functions = [
    stack.worker.lambda.function,
    stack.logStream?.handler.function,
    ...offboardSourceFunctions(stack),
  ].filter((f) => f !== undefined);
  for (const fn of functions) {
    Validations.of(fn).acknowledge({ id: "AwsSolutions-L1", reason: LAMBDA_RUNTIME_REASON });
  }

  // Every role's grants on a customer-managed queue key are hand-written (kms:Decrypt and
  // kms:GenerateDataKey, on the one key): nothing to acknowledge.

  if (stack.logStream !== undefined) {
    const handlerArn = Stack.of(stack).getLogicalId(stack.logStream.handler.function.node.defaultChild as CfnElement);
    Validations.of(stack.logStream.frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${handlerArn}.Arn>:*]`,
      reason:
        "Written by the CDK provider framework (lambda.grantInvoke): the framework may invoke only its own onEvent " +
        "function, and `:*` covers that one function's versions and aliases. No other resource or action.",
    });
  }

  acknowledgeOffboardSources(stack);
};

/** The poller's and the event hook's functions (absent with source "stream" and no event hook). */
const offboardSourceFunctions = (stack: OffboardingStack) => [
  stack.poller?.handler.function,
  stack.eventHook?.handler.function,
  stack.eventHook?.registrationHandler?.function,
];

const acknowledgeOffboardSources = (stack: OffboardingStack) => {
  const stackOf = Stack.of(stack);
  const invokeOwnVersions = (role: IConstruct, fn: IConstruct, who: string) =>
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stackOf.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: `Written by CDK (lambda.grantInvoke) for ${who}: it may invoke only that one function, and \`:*\` covers the function's versions and aliases. No other resource or action.`,
    });
  if (stack.poller !== undefined) {
    // EventBridge Scheduler's role for the Lambda target is a singleton at stack scope.
    for (const child of stackOf.node.children) {
      if (child.node.id.startsWith("SchedulerRoleForTarget")) {
        invokeOwnVersions(child, stack.poller.handler.function, "the EventBridge Scheduler schedule of the poller");
      }
    }
  }
  const hook = stack.eventHook;
  if (hook?.registrationFrameworkRole !== undefined && hook.registrationHandler !== undefined) {
    invokeOwnVersions(
      hook.registrationFrameworkRole,
      hook.registrationHandler.function,
      "the provider framework of the event hook registration",
    );
  }
};
