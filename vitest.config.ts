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
    // bcrypt at the minimum cost keeps password tests quick.
    env: { BCRYPT_COST: "10" },
    testTimeout: 30_000,
  },
});
