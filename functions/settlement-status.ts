/**
 * `settlementStatus`: on `settlement.status`. Moves net instructions forward through their lifecycle; late and
 * duplicate reports are recorded and change nothing.
 */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import type { KafkaEvent } from '../lib/kafka/decode';
import { getPublisher } from '../lib/kafka/producer';
import { settlementStatusHandler } from '../lib/settlement/handlers';
import type { StatusSummary } from '../lib/settlement/status-service';

export const handler = middy<KafkaEvent, StatusSummary>()
  .use(releaseAfterLocalInvoke())
  .handler(settlementStatusHandler({ pool: getPool(), publisher: getPublisher() }));
