import { defineConfig } from "vitest/config";

// Property and fuzz tests run thousands of cases: the timeout bounds a hang on a loaded machine.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
