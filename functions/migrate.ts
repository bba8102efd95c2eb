/**
 * `migrate`: a one-off function in the VPC that applies `migrations/` (packaged beside it) to the cloud database,
 * with the same credentials and TLS as every other function. `npx sls invoke --stage prod -f migrate` after a
 * deploy; a second run applies nothing. Not triggered by any event. See lib/db/migrate.ts migrateHandler.
 */
import path from 'node:path';

import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { getSecretSource } from '../lib/aws/secrets';
import { config } from '../lib/config';
import { awsCredentialDeps, connectionTarget } from '../lib/db/credentials';
import { migrateHandler } from '../lib/db/migrate';

/** The bundle is functions/migrate.js; the package carries migrations/*.sql at its root. */
const MIGRATIONS = path.resolve(__dirname, '..', 'migrations');

export const handler = middy<unknown, { readonly applied: readonly string[] }>()
  .use(injectLambdaContext(getLogger()))
  .handler(
    migrateHandler({
      target: () => connectionTarget(config().database, awsCredentialDeps(getSecretSource())),
      dir: MIGRATIONS,
      log: (message, fields) => getLogger().info(message, { ...fields }),
    }),
  );
