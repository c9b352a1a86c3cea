import { defineConfig } from "vitest/config";

/**
 * Three projects:
 *  - unit:     *.test.ts       pure logic, adapter tests and deploy/ checks (promtool, amtool), no database
 *  - pglite:   *.int.test.ts   integration tests through app.inject() on embedded PGlite
 *  - postgres: *.int.test.ts   the same files again on a real PostgreSQL (TEST_DATABASE_URL)
 * `npm test` runs all three. See test/README.md.
 */
const integration = ["src/**/*.int.test.ts", "test/**/*.int.test.ts", "deploy/**/*.int.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        // extends: inherit the root test options (timeouts) — inline projects do not by default
        extends: true,
        test: {
          name: "unit",
          include: [
            "src/**/*.test.ts",
            "test/**/*.test.ts",
            "deploy/**/*.test.ts",
            "web/src/**/*.test.{ts,tsx}",
          ],
          exclude: [...integration, "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: { name: "pglite", include: integration, env: { LECTERN_TEST_DB: "pglite" } },
      },
      {
        extends: true,
        test: { name: "postgres", include: integration, env: { LECTERN_TEST_DB: "postgres" } },
      },
    ],
  },
});
