import { defineConfig } from "vitest/config";

// Packing, installing and type-checking a project against effect's declarations (skipLibCheck false)
// takes a minute alone and several on a loaded two-core machine while the other packages' tests run.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 420_000, hookTimeout: 420_000 } });
