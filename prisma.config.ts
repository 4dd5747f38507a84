// Configuration for the Prisma CLI (generate, and migrate on connected machines).
// The app itself does not read this file: lib/config.ts resolves DATABASE_URL,
// with this default wherever NODE_ENV is not "development" (the CLI leaves it unset).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/keycard.db" },
});
