import { defineConfig } from "vitest/config";

// One file; its beforeAll packs and installs (npm, from the registry cache when it can).
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 240_000 } });
