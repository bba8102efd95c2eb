/** Jest globalTeardown: stops the run's PostgreSQL server (or drops the template on DATABASE_URL's server). */
import { stopTestServer, TEST_PG_ENV } from './helpers/postgres';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env[TEST_PG_ENV.serverUrl];
  const template = process.env[TEST_PG_ENV.template];
  if (serverUrl === undefined || template === undefined) return;
  await stopTestServer({ serverUrl, template, dataDir: process.env[TEST_PG_ENV.dataDir] });
}
