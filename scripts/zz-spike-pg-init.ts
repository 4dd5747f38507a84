import { diffMigrationsToSchema } from "./schema-diff";
const sql = await diffMigrationsToSchema({ schemaPath: "prisma/postgresql/schema.prisma", migrationsDir: "prisma/postgresql/migrations", postgresUrl: process.env.PG! });
console.log(sql);
