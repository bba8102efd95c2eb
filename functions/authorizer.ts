/** `authorizer`: HTTP API Lambda request authorizer (simple responses) for the capture API. */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { requiredTokenTable } from '../lib/api/auth';
import { config } from '../lib/config';
import { authorizerHandler, type AuthorizerContext } from '../lib/pipeline/handlers';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';

// Read once per container and fail the cold start on a malformed API_TOKENS, not a request later.
export const handler = middy<
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>
>()
  .use(injectLambdaContext(getLogger()))
  .handler(authorizerHandler(requiredTokenTable(config())));
