/** `captureTrades`: httpApi POST /trades behind `authorizer`. See lib/pipeline/handlers.ts captureHandler. */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPublisher } from '../lib/kafka/producer';
import { captureHandler, type AuthorizerContext } from '../lib/pipeline/handlers';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const handler = middy<
  APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>,
  APIGatewayProxyStructuredResultV2
>()
  .use(releaseAfterLocalInvoke())
  .handler(captureHandler(getPublisher()));
