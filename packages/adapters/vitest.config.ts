import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // moto_server starts once per run (test/global-setup.ts) and every file connects to it.
    globalSetup: ["test/global-setup.ts"],
    // Ledger contract tests make hundreds of moto calls; on a loaded two-core machine a file takes
    // seconds, not milliseconds. These bound a hang; they measure nothing.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
