#!/usr/bin/env node
/**
 * The offboard CDK app. Configuration comes from CDK context (cdk.json, ~/.cdk.json or `-c key=value`);
 * see docs/deploying.md. `npm run synth` adds `-c offboard:example=true` to synthesize with example values.
 */
import { App } from "aws-cdk-lib";
import { ConfigError, configFromContext } from "../src/config.ts";
import { enableNagChecks } from "../src/nag-suppressions.ts";
import { OffboardingStack } from "../src/offboarding-stack.ts";

const app = new App();
const example = String(app.node.tryGetContext("offboard:example") ?? "false") === "true";
try {
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const stackName = String(app.node.tryGetContext("stackName") ?? "Offboard");
  const account = app.node.tryGetContext("account") ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = app.node.tryGetContext("region") ?? process.env.CDK_DEFAULT_REGION;
  new OffboardingStack(app, stackName, {
    config,
    env: { ...(account ? { account: String(account) } : {}), ...(region ? { region: String(region) } : {}) },
  });
  enableNagChecks(app);
  app.synth();
  if (example) {
    // Said on every run, after CDK's own output, so it is the last thing a reader sees.
    console.error(
      "offboard: synthesized with EXAMPLE values (-c offboard:example=true): the template is for reading, " +
        "not for deployment. Deploy with your own values: docs/deploying.md.",
    );
  }
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
