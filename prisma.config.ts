// Configuration for the Prisma CLI (generate, and migrate on connected machines).
// The app itself does not read this file: lib/config.ts resolves DATABASE_URL,
// with this default wherever NODE_ENV is not "development" (the CLI leaves it unset).
// A PostgreSQL DATABASE_URL points the CLI at PostgreSQL's schema and migrations
// (made from the SQLite ones: npm run db:postgres-schema, npm run db:new-migration),
// so `npx prisma migrate deploy` / `migrate status` work on either database.
import { defineConfig } from "prisma/config";

const url = process.env.DATABASE_URL ?? "file:./data/keycard.db";
const folder = /^postgres(ql)?:\/\//.test(url) ? "prisma/postgresql" : "prisma";

export default defineConfig({
  schema: `${folder}/schema.prisma`,
  migrations: { path: `${folder}/migrations` },
  datasource: { url },
});
