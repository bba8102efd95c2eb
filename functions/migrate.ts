/**
 * `migrate`: a one-off function in the VPC that applies `migrations/` (packaged beside it) to the cloud database,
 * with the same credentials and TLS as every other function. `npx sls invoke --stage prod -f migrate` after a
 * deploy; a second run applies nothing. Not triggered by any event.
 */
import path from 'node:path';

import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { getSecretSource } from '../lib/aws/secrets';
import { config, ConfigError } from '../lib/config';
import { awsCredentialDeps, passwordProvider, sslOptions } from '../lib/db/credentials';
import { migrate } from '../lib/db/migrate';

/** The bundle is functions/migrate.js; the package carries migrations/*.sql at its root. */
const MIGRATIONS = path.resolve(__dirname, '..', 'migrations');

export const handler = middy<unknown, { readonly applied: readonly string[] }>()
  .use(injectLambdaContext(getLogger()))
  .handler(async () => {
    const { database } = config();
    const server = database.server;
    if (server === undefined && database.url === undefined) {
      throw new ConfigError(['DB_HOST'], 'Invalid configuration: DB_HOST or DATABASE_URL: required to migrate');
    }
    const target =
      server === undefined
        ? (database.url ?? '')
        : {
            host: server.host,
            port: server.port,
            database: server.database,
            user: server.user,
            password: passwordProvider(server, awsCredentialDeps(getSecretSource())),
            ssl: sslOptions(server),
          };
    const applied = await migrate(target, { dir: MIGRATIONS, log: (line) => getLogger().info(line) });
    getLogger().info('migrations applied', { applied });
    return { applied };
  });
