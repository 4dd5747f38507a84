// Next.js reads .env* files for the server it runs; the scripts that run before
// it or beside it (npm start's prestart, migrations, the user CLI, npm run dev's
// preparation) read the same files the same way, so a setting kept in
// .env.production.local means the same to all of them.
import nextEnv from "@next/env";

// CommonJS: its functions hang off the default export.
nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV === "development", { info: () => {}, error: console.error });
