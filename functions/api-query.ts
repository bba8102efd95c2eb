/**
 * `queryApi`: the read-only HTTP API (GET /trades, /trades/{id}, /positions, /pnl/daily, /reports/daily/{date},
 * /settlements, /breaks behind `authorizer`; /openapi.json public). See lib/api/query/router.ts.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { largeResponsesFrom } from '../lib/api/large-responses';
import { queryApiHandler, type QueryEvent } from '../lib/api/query/router';
import { PgQueryService } from '../lib/api/query/service';
import { config } from '../lib/config';
import { getPool } from '../lib/db/pool';

export const handler = middy<QueryEvent, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    queryApiHandler({
      service: new PgQueryService(getPool()),
      largeResponses: largeResponsesFrom(config().api.largeResponses),
      accountsClaim: config().api.jwtAccountsClaim,
    }),
  );
