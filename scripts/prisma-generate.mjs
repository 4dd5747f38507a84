// Runs `prisma generate` at install time, offline, for both databases: the
// SQLite client (prisma/schema.prisma) and the PostgreSQL one
// (prisma/postgresql/schema.prisma, made from it); lib/db/client.ts picks one
// by DATABASE_URL.
//
// Prisma 7's CLI insists that the native schema engine exists before any command,
// even `generate`, which itself is pure WebAssembly. Where the engine could not be
// downloaded (offline machines: @prisma/engines' postinstall is denied in
// allowScripts), point PRISMA_SCHEMA_ENGINE_BINARY at a stub that explains how to
// migrate instead. A machine that has the real engine keeps using it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const stub = fileURLToPath(new URL("./schema-engine-stub.sh", import.meta.url));
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}
for (const schema of ["prisma/schema.prisma", "prisma/postgresql/schema.prisma"]) {
  execFileSync(process.execPath, [fileURLToPath(import.meta.resolve("prisma/build/index.js")), "generate", "--schema", schema], {
    env: { ...env, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    stdio: "inherit",
  });
}
