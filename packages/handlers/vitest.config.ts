import { configDefaults, defineConfig } from "vitest/config";

/** Scenarios that take minutes: run by `npm run test:e2e` (and by name), left out of `npm test`. */
const MINUTES_LONG = ["test/e2e/burst.test.ts", "test/e2e/ambiguous.test.ts"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...(process.env.npm_lifecycle_event === "test" ? MINUTES_LONG : [])],
    // moto_server starts once per run (test/global-setup.ts) and every file connects to it.
    globalSetup: ["test/global-setup.ts"],
    // moto_server start-up and the end-to-end scenarios (test/e2e) take seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // The end-to-end files each drive a moto_server and worker processes hard: one file at a time on a
    // small machine keeps them from starving each other.
    fileParallelism: false,
    env: {
      // Keep test output readable: Powertools logs and EMF metrics off unless a test turns them on.
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_SERVICE_NAME: "offboard",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
