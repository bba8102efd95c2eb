/**
 * Jest globalSetup for the integration project: one PostgreSQL server and one migrated template for the whole
 * run. Workers inherit the environment set here (they are spawned after it runs).
 */
import { startTestServer, TEST_PG_ENV } from './helpers/postgres';

export default async function globalSetup(): Promise<void> {
  const server = await startTestServer();
  process.env[TEST_PG_ENV.serverUrl] = server.serverUrl;
  process.env[TEST_PG_ENV.template] = server.template;
  if (server.dataDir !== undefined) process.env[TEST_PG_ENV.dataDir] = server.dataDir;
}
