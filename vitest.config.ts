import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL(".", import.meta.url)),
      // `server-only` throws outside React Server Components; unit tests run the
      // lib directly, so give it the empty module the react-server condition uses.
      "server-only": fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    include: ["lib/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
    // Each test file gets its own migrated SQLite database (test/setup.ts).
    setupFiles: ["test/setup.ts"],
    env: {
      // bcrypt at the minimum cost keeps password tests quick.
      BCRYPT_COST: "10",
      // lib/session/store.ts reads its timeouts from the session config, which needs a secret.
      SESSION_SECRET: "vitest-only-session-secret-not-for-any-server",
    },
    testTimeout: 30_000,
  },
});
