import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // moto_server starts once per run (test/global-setup.ts) and every file connects to it.
    globalSetup: ["test/global-setup.ts"],
  },
});
