/**
 * `captureTrades`: httpApi POST /trades behind `authorizer`. See lib/pipeline/handlers.ts captureHandler. Reads the
 * accounts' owners (cached) for the trade topics' key.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { PgAccountOwners } from '../lib/db/account-owners';
import { getPool } from '../lib/db/pool';
import { getPublisher } from '../lib/kafka/producer';
import { config } from '../lib/config';
import { captureHandler, type CaptureEvent } from '../lib/pipeline/handlers';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const handler = middy<CaptureEvent, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    captureHandler(getPublisher(), new PgAccountOwners(getPool()), { accountsClaim: config().api.jwtAccountsClaim }),
  );
