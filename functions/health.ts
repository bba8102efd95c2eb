/**
 * `health`: GET /health, unauthenticated: the pipeline's verdict (healthy, degraded: 200; down: 503) without its
 * internals. Its own function, so that the query API holds no Kafka permission. See lib/api/health.ts.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { healthHandler } from '../lib/api/health';
import { config } from '../lib/config';
import { getPool } from '../lib/db/pool';
import { PgStatusStore } from '../lib/db/status-store';
import { SharedAdmin, createKafkaAdmin } from '../lib/kafka/admin';
import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

// One broker connection per container, reused by every check, as the pool is for the database.
const admin = new SharedAdmin(() => createKafkaAdmin(config().kafka));

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(releaseAfterLocalInvoke(undefined, [() => admin.discard()]))
  .handler(
    healthHandler({
      admin,
      store: () => new PgStatusStore(getPool()),
      deployment: config().stage,
      thresholds: config().status,
    }),
  );
