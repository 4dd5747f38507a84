// Vitest global setup of the "postgresql" project (vitest.config.ts): one
// throwaway PostgreSQL cluster for the run; test/setup.ts gives each test file
// a database of its own on it.
import type { TestProject } from "vitest/node";
import { startPostgres, whyNoPostgres } from "../scripts/postgres-cluster";

declare module "vitest" {
  export interface ProvidedContext {
    /** The throwaway cluster's URL; empty in the "sqlite" project. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const why = whyNoPostgres();
  if (why) throw new Error(`The unit tests on PostgreSQL need a cluster: ${why}.`);
  const postgres = await startPostgres();
  project.provide("postgresUrl", postgres.url);
  return () => postgres.stop();
}
