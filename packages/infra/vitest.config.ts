import { defineConfig } from "vitest/config";

// Synthesizing a stack (and bundling its Lambdas with esbuild) takes seconds, not milliseconds.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 180_000 },
});
