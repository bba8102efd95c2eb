import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { handler } from '../../../functions/authorizer';

describe('Lambda entry points', () => {
  const context = { functionName: 'authorizer', awsRequestId: 'test' } as Context;

  it('loads the middy-wrapped authorizer, which accepts the local development token only', async () => {
    const event = {
      headers: { authorization: 'Bearer dev-token' },
      routeArn: 'arn:aws:execute-api:local:0:api/$default/POST/trades',
    } as unknown as APIGatewayRequestAuthorizerEventV2;
    const allowed = await handler(event, context);
    const denied = await handler({ ...event, headers: { authorization: 'Bearer wrong' } }, context);
    expect(allowed).toMatchObject({ isAuthorized: true });
    expect(denied).toMatchObject({ isAuthorized: false });
  });
});
