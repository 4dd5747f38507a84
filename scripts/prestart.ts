// Runs before `npm start`: refuse to serve with a bad configuration, then bring
// the database up to date, so a deploy is `npm run build && npm start`.
import "./load-env";
import { checkConfig } from "../lib/config";
import { exitOnError, migrateDatabase } from "./migrate";

exitOnError(async () => {
  // `next start` always runs as production, whatever NODE_ENV says here.
  checkConfig({ ...process.env, NODE_ENV: "production" });
  await migrateDatabase();
});
