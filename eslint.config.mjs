import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Imports point one way (README, "Code map"): app/ → services (lib/dal,
// lib/account, lib/audit, lib/auth) → lib/session → lib/db. lib/http, lib/config
// and lib/server are shared helpers. A wrong import fails `npm run lint`.
const only = (message, ...group) => ({ group, message });
// Every query lives in lib/db/: nothing else imports a database driver or Prisma.
const noDriver = only("Only lib/db/ talks to the database: call its functions.", "better-sqlite3", "@prisma/*", "**/generated/**");
const layers = [
  {
    name: "app talks to services, never to sessions or the database directly",
    files: ["app/**/*.{ts,tsx}"],
    patterns: [only("app/: ask lib/dal, lib/account or lib/auth; the database and session rows stay behind them.", "@/lib/db/*", "@/lib/session/*"), noDriver],
  },
  {
    name: "middleware opens seals, nothing more",
    files: ["middleware.ts"],
    patterns: [only("middleware.ts touches no database and no service: an optimistic check only (lib/dal.ts makes the real one).", "./lib/auth/*", "./lib/dal", "./lib/account", "./lib/audit", "./lib/session/store", "./lib/session/cookie", "./lib/db/!(availability)"), noDriver],
  },
  {
    name: "the data layer depends on nothing above it",
    files: ["lib/db/**/*.ts"],
    patterns: [only("lib/db/ is the bottom layer: nothing in it may import services, sessions or HTTP helpers.", "../auth/*", "../session/*", "../http/*", "../server/*", "../dal", "../account", "../audit", "@/app/*", "@/lib/auth/*", "@/lib/session/*", "@/lib/http/*")],
  },
  {
    name: "sessions sit on the data layer only",
    files: ["lib/session/**/*.ts"],
    patterns: [only("lib/session/ may use lib/db, lib/config and lib/http, not the services above it.", "../auth/*", "../dal", "../account", "../audit", "@/app/*"), noDriver],
  },
  {
    name: "the auth services do not reach up",
    files: ["lib/auth/**/*.ts", "lib/audit.ts"],
    patterns: [only("lib/auth/ and lib/audit.ts may not import lib/dal, lib/account or app/.", "../dal", "../account", "./dal", "./account", "@/app/*"), noDriver],
  },
  {
    name: "shared helpers import no service",
    files: ["lib/http/**/*.ts", "lib/config.ts"],
    patterns: [only("lib/http/ and lib/config.ts are shared helpers: no services, sessions or queries in them.", "../auth/*", "../session/*", "../dal", "../account", "../audit", "../db/!(errors)", "./auth/*", "./session/*", "./db/*", "@/app/*"), noDriver],
  },
  {
    name: "the other services and the server reach the database through lib/db",
    files: ["lib/dal.ts", "lib/account.ts", "lib/server/**/*.ts", "instrumentation.ts"],
    patterns: [noDriver],
  },
];

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  ...layers.map(({ name, files, patterns }) => ({
    name,
    files,
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns }] },
  })),
  {
    files: ["**/*.{ts,tsx,mjs}"],
    ignores: ["lib/generated/**"],
    rules: { "import/no-cycle": ["error", { ignoreExternal: true }] },
  },
  {
    // Playwright fixtures call their callback `use`, which is not React's hook.
    files: ["e2e/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  globalIgnores([".next/**", "lib/generated/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts"]),
]);
